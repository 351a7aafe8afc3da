using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// Client-reported and server-reported figures of one edge (or endpoint), kept apart: the
/// same call reported by both sidecars must not be counted twice.
/// </summary>
internal sealed class EdgeStats
{
    public SideStats? Client;
    public SideStats? Server;

    /// <summary>Shard buffers only: latency a record must exceed to be offered as a sample (<see cref="SampleCapture"/>).</summary>
    public long SampleFloor = long.MinValue;

    /// <summary>Shard buffers only: the edge has as many failing-call candidates as it keeps.</summary>
    public bool SampleErrorsFull;

    /// <summary>Shard buffers only: the buffer's <see cref="IShardTable"/> keeps its memo for this edge here.</summary>
    public object? TableMemo;

    public void Add(in SideRecord r)
    {
        var side = r.Reporter == ReporterSide.Client ? (Client ??= new SideStats()) : (Server ??= new SideStats());
        side.Add(r);
    }

    public void Merge(EdgeStats o)
    {
        if (o.Client is not null)
        {
            (Client ??= new SideStats()).Merge(o.Client);
        }

        if (o.Server is not null)
        {
            (Server ??= new SideStats()).Merge(o.Server);
        }
    }

    /// <summary>Server-reported figures when the server reported, else the client's (Kiali's rule).</summary>
    public SideStats? Preferred => Server ?? Client;
}
