namespace AlsAnalyzer.Core.Metrics;

internal sealed record MetricsSettings
{
    /// <summary>Proxies tracked at most; stats from further proxies are rejected (<c>proxy_cap</c>).</summary>
    public int MaxProxies { get; init; } = 10_000;

    /// <summary>Distinct stats kept per proxy; further ones are rejected (<c>stat_cap</c>).</summary>
    public int MaxStatsPerProxy { get; init; } = 2_000;

    /// <summary>A proxy that has not reported for this long is forgotten.</summary>
    public TimeSpan ProxyExpiry { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>True when proxies run with <c>report_counters_as_deltas</c>; the wire does not say.</summary>
    public bool CountersAsDeltas { get; init; }

    /// <summary>Minutes of counter increases kept (the aggregation retention).</summary>
    public int RetentionMinutes { get; init; } = 60;
}
