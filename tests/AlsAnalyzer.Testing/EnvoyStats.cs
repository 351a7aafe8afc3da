using AlsAnalyzer.Protos.Prometheus;
using Envoy.Config.Core.V3;
using Envoy.Service.Metrics.V3;

namespace AlsAnalyzer.Testing;

/// <summary>
/// A stats flush as Envoy's metrics service sink sends it: one family per stat, one metric
/// per family stamped with the flush time; flat names, or tag-extracted names with labels
/// (<c>emit_tags_as_labels</c>).
/// </summary>
public sealed class EnvoyStats(DateTimeOffset flushTime, bool tagsAsLabels = false)
{
    private readonly List<MetricFamily> _families = [];

    public EnvoyStats Counter(string name, double value) => Add(name, MetricType.Counter, [], m => m.Counter = new Counter { Value = value });

    public EnvoyStats Gauge(string name, double value) => Add(name, MetricType.Gauge, [], m => m.Gauge = new Gauge { Value = value });

    public EnvoyStats ClusterCounter(string cluster, string stat, double value) =>
        ClusterStat(cluster, stat, MetricType.Counter, m => m.Counter = new Counter { Value = value });

    public EnvoyStats ClusterGauge(string cluster, string stat, double value) =>
        ClusterStat(cluster, stat, MetricType.Gauge, m => m.Gauge = new Gauge { Value = value });

    /// <summary>Istio's SUMMARY_AND_HISTOGRAM: the flush interval's distribution, as a summary and as a histogram.</summary>
    public EnvoyStats Distribution(string name, ulong intervalCount, double sum, params (double Q, double V)[] quantiles)
    {
        Add(name, MetricType.Summary, [], m =>
        {
            m.Summary = new Summary { SampleCount = intervalCount, SampleSum = sum };
            foreach (var (q, v) in quantiles)
            {
                m.Summary.Quantile.Add(new Quantile { Quantile_ = q, Value = v });
            }
        });
        return Add(name, MetricType.Histogram, [], m =>
        {
            m.Histogram = new Histogram { SampleCount = intervalCount, SampleSum = sum };
            m.Histogram.Bucket.Add(new Bucket { UpperBound = 0.5, CumulativeCount = 0 });
            m.Histogram.Bucket.Add(new Bucket { UpperBound = 10, CumulativeCount = intervalCount });
        });
    }

    /// <summary>Adds a family as given (for malformed-input tests).</summary>
    public EnvoyStats Raw(MetricFamily family)
    {
        _families.Add(family);
        return this;
    }

    public StreamMetricsMessage Message(Node? identifier = null)
    {
        var m = new StreamMetricsMessage();
        m.EnvoyMetrics.AddRange(_families.Select(f => f.Clone()));
        if (identifier is not null)
        {
            m.Identifier = new StreamMetricsMessage.Types.Identifier { Node = identifier };
        }

        return m;
    }

    private EnvoyStats ClusterStat(string cluster, string stat, MetricType type, Action<Metric> set) =>
        tagsAsLabels
            ? Add("cluster." + stat, type, [new LabelPair { Name = "envoy.cluster_name", Value = cluster }], set)
            : Add($"cluster.{cluster}.{stat}", type, [], set);

    private EnvoyStats Add(string name, MetricType type, LabelPair[] labels, Action<Metric> set)
    {
        var metric = new Metric { TimestampMs = flushTime.ToUnixTimeMilliseconds() };
        metric.Label.AddRange(labels);
        set(metric);
        var family = new MetricFamily { Name = name, Type = type };
        family.Metric.Add(metric);
        _families.Add(family);
        return this;
    }
}
