using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Metrics;

/// <summary>The Envoy Metrics Service: how many proxies and stats are held, and how counters arrive.</summary>
internal sealed class MetricsServiceOptions : ISettings
{
    public static string Section => "MetricsService";

    /// <summary>Proxies tracked at most; stats from further proxies are rejected (<c>proxy_cap</c>).</summary>
    public int MaxProxies { get; set; } = 10_000;

    /// <summary>Distinct stats kept per proxy; further ones are rejected (<c>stat_cap</c>).</summary>
    public int MaxStatsPerProxy { get; set; } = 2_000;

    /// <summary>Minutes after its last report that a proxy is forgotten.</summary>
    public int ProxyExpiryMinutes { get; set; } = 10;

    /// <summary>True when the proxies send counters as deltas (Envoy's <c>report_counters_as_deltas</c>); the wire does not say.</summary>
    public bool MetricsCountersAsDeltas { get; set; }

    public TimeSpan ProxyExpiry => TimeSpan.FromMinutes(ProxyExpiryMinutes);

    public void Validate(SettingErrors errors)
    {
        errors.Range(nameof(MaxProxies), MaxProxies, 1, 10_000_000);
        errors.Range(nameof(MaxStatsPerProxy), MaxStatsPerProxy, 1, 1_000_000);
        errors.Range(nameof(ProxyExpiryMinutes), ProxyExpiryMinutes, 1, 7 * 24 * 60);
    }
}
