namespace AlsAnalyzer.Core.Model;

/// <summary>
/// The one place that splits the memory budget into each table's share (README, "Memory
/// budget"). Each table estimates its own bytes per entry, string lengths included, and folds,
/// evicts or refuses (and counts it) past its share.
/// </summary>
internal sealed record MemoryBudget(long TotalBytes)
{
    /// <summary>Every share, in percent of the total; the rest is a reserve for estimation error.</summary>
    public static readonly IReadOnlyList<(string Name, int Percent)> Split =
    [
        (Ring, 40),
        (Shards, 5),
        (DecodeTables, 25),
        (MetricsService, 10),
        (TcpConnections, 4),
        (Queries, 10),
        (Samples, 4),
    ];

    /// <summary>The minute ring: edges, endpoints, instances and gateways of every retained minute.</summary>
    public const string Ring = "aggregation_ring";

    /// <summary>The ingest shards' buffers between two collects.</summary>
    public const string Shards = "aggregation_shards";

    /// <summary>The decoders' lookup tables (strings, endpoints, clusters, peer metadata, IP names).</summary>
    public const string DecodeTables = "decode_tables";

    /// <summary>Proxies and their stats (Envoy Metrics Service).</summary>
    public const string MetricsService = "metrics_service";

    /// <summary>Open TCP connections tracked across all streams.</summary>
    public const string TcpConnections = "tcp_connections";

    /// <summary>Working memory of the queries running at once: each gets its part, as a bound on the distinct edges it tallies (<c>TopologyQueries.WorkingEdgesFor</c>).</summary>
    public const string Queries = "queries";

    /// <summary>The per-edge sample reservoirs: kept samples, and the entry copies waiting in shard buffers.</summary>
    public const string Samples = "samples";

    public static MemoryBudget FromMegabytes(int megabytes) => new(megabytes * 1024L * 1024L);

    /// <summary>Unlimited: for components built without a budget (tests, benchmarks).</summary>
    public static readonly MemoryBudget Unlimited = new(long.MaxValue / 128);

    public long RingBytes => Share(Ring);

    public long ShardBytes => Share(Shards);

    /// <summary>The decode tables' share: for their byte caps (<c>Decoding</c> settings).</summary>
    public long DecodeTableBytes => Share(DecodeTables);

    public long MetricsServiceBytes => Share(MetricsService);

    public long TcpConnectionBytes => Share(TcpConnections);

    public long QueryBytes => Share(Queries);

    public long SampleBytes => Share(Samples);

    public long Share(string name)
    {
        foreach (var (n, percent) in Split)
        {
            if (n == name)
            {
                return TotalBytes / 100 * percent;
            }
        }

        throw new ArgumentException($"No memory share named '{name}'.", nameof(name));
    }
}
