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

    /// <summary>Fast ingest: IPs, hosts and SPIFFE ids kept for lookup by their bytes (and as many parsed cluster names).</summary>
    public int MaxInternedStrings { get; set; } = 200_000;

    /// <summary>Fast ingest: <c>METHOD /path</c> endpoints kept for lookup by their bytes.</summary>
    public int MaxInternedEndpoints { get; set; } = 200_000;

    /// <summary>Fast ingest: distinct peer metadata payloads kept decoded (one per workload instance in practice).</summary>
    public int MaxCachedPeers { get; set; } = 100_000;

    /// <summary>
    /// Analyzer chain for HTTP entries, comma separated, in order. Empty: <c>k8s-mesh,mx-mesh</c>
    /// when the Kubernetes cache is enabled, else <c>mx-mesh</c>. Alias: <c>SW_ENVOY_METRIC_ALS_HTTP_ANALYSIS</c>.
    /// </summary>
    public string HttpAnalyzers { get; set; } = string.Empty;

    /// <summary>Analyzer chain for TCP entries, as <see cref="HttpAnalyzers"/>. Alias: <c>SW_ENVOY_METRIC_ALS_TCP_ANALYSIS</c>.</summary>
    public string TcpAnalyzers { get; set; } = string.Empty;

    /// <summary>Kubernetes metadata cache: <c>auto</c> (on in a pod, or when a kubeconfig is set), <c>on</c>, <c>off</c>.</summary>
    public string Kubernetes { get; set; } = "auto";

    /// <summary>Kubeconfig file to reach the API server from outside a pod; empty uses the in-cluster service account.</summary>
    public string KubeconfigPath { get; set; } = string.Empty;

    /// <summary>How k8s-mesh names a pod's service (see README).</summary>
    public string ServiceNameTemplate { get; set; } = AlsAnalyzer.Core.Kubernetes.ServiceNameTemplate.Default;

    /// <summary>/readyz answers 503 until every watched resource completed its first list.</summary>
    public bool ReadyRequiresKubernetesSync { get; set; } = true;

    /// <summary>Seconds a failing watch may go without contact before the API reports the cache stale.</summary>
    public int KubernetesStaleAfterSeconds { get; set; } = 60;

    /// <summary>Server-side timeout of each watch request.</summary>
    public int KubernetesWatchTimeoutSeconds { get; set; } = 300;

    /// <summary>First retry delay after a watch error; doubles up to <see cref="KubernetesBackoffMaxSeconds"/>.</summary>
    public int KubernetesBackoffInitialMilliseconds { get; set; } = 500;

    public int KubernetesBackoffMaxSeconds { get; set; } = 30;

    /// <summary>
    /// How access log payloads are processed: <c>analyze</c> (fields read straight from the
    /// payload); <c>reference</c> (the same analysis over the generated protobuf objects, the
    /// straightforward path); or <c>discard</c>, a transport-only mode for benchmarks that
    /// drops payloads unread (never in production).
    /// </summary>
    public string IngestMode { get; set; } = "analyze";

    /// <summary>Metrics service: proxies tracked at most.</summary>
    public int MaxProxies { get; set; } = 10_000;

    /// <summary>Metrics service: distinct stats kept per proxy.</summary>
    public int MaxStatsPerProxy { get; set; } = 2_000;

    /// <summary>Metrics service: minutes after its last report that a proxy is forgotten.</summary>
    public int ProxyExpiryMinutes { get; set; } = 10;

    /// <summary>Metrics service: true when the proxies send counters as deltas (Envoy's <c>report_counters_as_deltas</c>).</summary>
    public bool MetricsCountersAsDeltas { get; set; }
}
