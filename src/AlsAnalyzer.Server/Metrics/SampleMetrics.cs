using AlsAnalyzer.Core.Aggregation;

namespace AlsAnalyzer.Server.Metrics;

/// <summary>Self-metrics of the per-edge sample reservoirs: what they hold and the edges forgotten to stay bounded.</summary>
internal sealed class SampleMetrics : ISelfMetricsComponent
{
    public SampleMetrics(SelfMetrics metrics, SampleStore store)
    {
        var f = metrics.Factory;
        var edges = f.CreateGauge("als_sample_edges", "Edges whose failing and slowest calls are kept as samples.");
        var held = f.CreateGauge("als_samples_held", "Call samples held in the per-edge reservoirs.");
        var evicted = f.CreateCounter(
            "als_sample_edges_evicted_total",
            "Edges whose samples were forgotten, the least recently sampled first: MaxSampleEdges edges were held (max_edges), or the samples held their share of the memory budget (memory_budget).",
            "reason");
        var notAttached = f.CreateCounter(
            "als_samples_without_details_total",
            "Sample candidates whose entry was not copied for its details: longer than 16 KiB (too_long), or the copies waiting for the collector held their part of the samples' share (memory_budget).",
            "reason");
        metrics.BeforeCollect(() =>
        {
            var (edgeCount, samples) = store.Counts();
            edges.Set(edgeCount);
            held.Set(samples);
            evicted.WithLabels("max_edges").IncTo(store.EdgesEvicted);
            evicted.WithLabels("memory_budget").IncTo(store.EdgesEvictedForBytes);
            var (tooLong, overBudget) = store.EntriesNotAttached;
            notAttached.WithLabels("too_long").IncTo(tooLong);
            notAttached.WithLabels("memory_budget").IncTo(overBudget);
        });
    }
}
