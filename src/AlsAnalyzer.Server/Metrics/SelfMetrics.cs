using Prometheus;

namespace AlsAnalyzer.Server.Metrics;

/// <summary>
/// The registry of the service's own metrics, served at <c>/metrics</c>. It has no default
/// process or .NET collectors, so the exposition passes <c>promtool check metrics</c>. Each
/// component creates and updates its own instruments here (<see cref="Factory"/>), with its
/// label values as constants, and reads its state at scrape time through
/// <see cref="BeforeCollect"/>.
/// </summary>
internal sealed class SelfMetrics
{
    public CollectorRegistry Registry { get; } = Prometheus.Metrics.NewCustomRegistry();

    public MetricFactory Factory => Prometheus.Metrics.WithCustomRegistry(Registry);

    /// <summary>Runs <paramref name="update"/> before every scrape (gauges read from a component's state).</summary>
    public void BeforeCollect(Action update) => Registry.AddBeforeCollectCallback(update);

    /// <summary>Adds <paramref name="value"/> when positive (tallies are folded in once per message).</summary>
    public static void AddIfPositive(Counter counter, long value)
    {
        if (value > 0)
        {
            counter.Inc(value);
        }
    }

    /// <summary>Adds each positive count to the child of its index (a tally's per-reason array).</summary>
    public static void AddEach(Counter.Child[] children, long[] counts)
    {
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] > 0)
            {
                children[i].Inc(counts[i]);
            }
        }
    }

    /// <summary>The labelled children of <paramref name="counter"/>, one per value, so each series exists (at 0) from the first scrape.</summary>
    public static Counter.Child[] Children(Counter counter, IReadOnlyList<string> values) =>
        values.Select(v => counter.WithLabels(v)).ToArray();
}
