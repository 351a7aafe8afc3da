namespace AlsAnalyzer.Server.Hosting;

/// <summary>
/// Every setting, with its default. Bound from the <c>Als</c> configuration section, so each
/// can be set as an environment variable (<c>Als__GrpcPort=11800</c>) or a command-line
/// argument (<c>--Als:GrpcPort=11800</c>). README.md lists them.
/// </summary>
internal sealed class AlsOptions
{
    public const string Section = "Als";

    /// <summary>Address both endpoints listen on: <c>*</c> (all interfaces, IPv4 and IPv6) or an IP.</summary>
    public string ListenAddress { get; set; } = "*";

    /// <summary>gRPC ingest (HTTP/2 cleartext only). 0 picks a free port.</summary>
    public int GrpcPort { get; set; } = 11800;

    /// <summary>HTTP API, health and /metrics (HTTP/1.1). 0 picks a free port.</summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>Largest accepted gRPC message; larger ones end their stream with RESOURCE_EXHAUSTED.</summary>
    public int MaxReceiveMessageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Concurrent HTTP/2 streams per connection (a relay may multiplex many proxies).</summary>
    public int MaxStreamsPerConnection { get; set; } = 1000;

    /// <summary>Seconds a new connection has to send the HTTP/2 preface before it is closed.</summary>
    public int PrefaceTimeoutSeconds { get; set; } = 10;

    /// <summary>Minutes of per-minute aggregates kept.</summary>
    public int RetentionMinutes { get; set; } = 60;

    /// <summary>How far (seconds) an entry's time may be ahead of this server's clock.</summary>
    public int MaxFutureSkewSeconds { get; set; } = 300;

    /// <summary>How often (ms) the collector folds ingest shards into the minute ring.</summary>
    public int CollectIntervalMilliseconds { get; set; } = 1000;

    /// <summary>Default query window when <c>from</c> is not given.</summary>
    public int DefaultQueryMinutes { get; set; } = 15;

    public int MaxEdgesPerMinute { get; set; } = 10_000;

    public int MaxEndpointsPerService { get; set; } = 100;

    public int MaxInstancesPerMinute { get; set; } = 20_000;

    /// <summary>Analyzer chain for HTTP entries, comma separated, in order.</summary>
    public string HttpAnalyzers { get; set; } = "mx-mesh";

    /// <summary>Analyzer chain for TCP entries, comma separated, in order.</summary>
    public string TcpAnalyzers { get; set; } = "mx-mesh";

    /// <summary>Metrics service: proxies tracked at most.</summary>
    public int MaxProxies { get; set; } = 10_000;

    /// <summary>Metrics service: distinct stats kept per proxy.</summary>
    public int MaxStatsPerProxy { get; set; } = 2_000;

    /// <summary>Metrics service: minutes after its last report that a proxy is forgotten.</summary>
    public int ProxyExpiryMinutes { get; set; } = 10;

    /// <summary>Metrics service: true when the proxies send counters as deltas (Envoy's <c>report_counters_as_deltas</c>).</summary>
    public bool MetricsCountersAsDeltas { get; set; }
}
