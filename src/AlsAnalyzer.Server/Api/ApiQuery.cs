using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Query;

namespace AlsAnalyzer.Server.Api;

/// <summary>One parsed API query: its window, namespace and limit, and read access to the ring over that window.</summary>
internal sealed record ApiQuery(QueryWindow Window, string? Namespace, QueryLimit Limit, Aggregator Aggregator, long OldestMinute)
{
    /// <summary>Runs <paramref name="read"/> over the window's minute buckets, in place, after a flush (they do not change while it runs; see <see cref="Aggregator.Read"/>).</summary>
    public T Read<T>(Func<IReadOnlyList<KeyValuePair<long, MinuteBucket>>, T> read) =>
        Aggregator.Read(OldestMinute, Window.FromMinute, Window.ToMinute, read);
}
