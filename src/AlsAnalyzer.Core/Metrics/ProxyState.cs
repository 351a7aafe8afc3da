using AlsAnalyzer.Core.Identity;

namespace AlsAnalyzer.Core.Metrics;

/// <summary>Everything one proxy reported through the metrics service. Guarded by <see cref="Sync"/>.</summary>
internal sealed class ProxyState(string nodeId, StreamIdentity identity)
{
    public object Sync { get; } = new();

    public string NodeId { get; } = nodeId;

    public StreamIdentity Identity { get; set; } = identity;

    public DateTimeOffset LastReport { get; set; }

    public Dictionary<string, StatSeries> Stats { get; } = new(StringComparer.Ordinal);

    /// <summary>Estimated bytes this proxy holds (<see cref="ProxyRegistry"/> keeps the total).</summary>
    public long EstimatedBytes { get; set; }
}
