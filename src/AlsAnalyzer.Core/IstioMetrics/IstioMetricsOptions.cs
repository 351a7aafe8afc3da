using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.IstioMetrics;

/// <summary>Istio's standard metrics computed from the access logs: whether, how many series, how long an idle one lives.</summary>
internal sealed class IstioMetricsOptions : ISettings
{
    public static string Section => "IstioMetrics";

    /// <summary>Computes Istio's standard series (<c>/metrics/istio</c>, remote write); off, the shards keep no Istio tables.</summary>
    public bool IstioMetricsEnabled { get; set; } = true;

    /// <summary>Distinct label sets kept; past it, new ones fold into one <c>overflow</c> series per protocol kind (counted).</summary>
    public int IstioMaxSeries { get; set; } = 5_000;

    /// <summary>Seconds without a new record after which a label set is dropped (its series go stale).</summary>
    public int IstioSeriesIdleSeconds { get; set; } = 900;

    public void Validate(SettingErrors errors)
    {
        errors.Range(nameof(IstioMaxSeries), IstioMaxSeries, 1, 10_000_000);
        errors.Range(nameof(IstioSeriesIdleSeconds), IstioSeriesIdleSeconds, 10, 7 * 24 * 3600);
    }
}
