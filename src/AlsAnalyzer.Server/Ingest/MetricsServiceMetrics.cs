using AlsAnalyzer.Core.Metrics;
using AlsAnalyzer.Server.Metrics;
using Prometheus;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// Self-metrics of the Envoy Metrics Service input, added once per message. Accounting:
/// <c>als_metric_samples_received_total == als_metric_samples_accepted_total + sum(als_metric_samples_rejected_total)</c>.
/// </summary>
internal sealed class MetricsServiceMetrics : ISelfMetricsComponent
{
    private readonly Counter _families;
    private readonly Counter _samples;
    private readonly Counter _accepted;
    private readonly Counter.Child[] _rejected;

    public MetricsServiceMetrics(SelfMetrics metrics, ProxyRegistry proxies)
    {
        var f = metrics.Factory;
        _families = f.CreateCounter("als_metric_families_received_total", "Metric families received on metrics service streams.");
        _samples = f.CreateCounter("als_metric_samples_received_total", "Metric samples received on metrics service streams.");
        _accepted = f.CreateCounter("als_metric_samples_accepted_total", "Metric samples applied to a proxy's state.");
        _rejected = SelfMetrics.Children(
            f.CreateCounter("als_metric_samples_rejected_total", "Metric samples not applied, by reason.", "reason"),
            SampleRejectReasonNames.All);
        var tracked = f.CreateGauge("als_proxies_tracked", "Proxies whose metrics service reports are held.");
        metrics.BeforeCollect(() => tracked.Set(proxies.Count));
    }

    /// <summary>Adds a message's tally to the counters.</summary>
    public void Add(MetricsTally t)
    {
        SelfMetrics.AddIfPositive(_families, t.Families);
        SelfMetrics.AddIfPositive(_samples, t.Samples);
        SelfMetrics.AddIfPositive(_accepted, t.Accepted);
        SelfMetrics.AddEach(_rejected, t.Rejected);
    }
}
