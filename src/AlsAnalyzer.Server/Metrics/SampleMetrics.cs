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
            "Edges whose samples were forgotten because MaxSampleEdges edges were held.");
        metrics.BeforeCollect(() =>
        {
            var (edgeCount, samples) = store.Counts();
            edges.Set(edgeCount);
            held.Set(samples);
            evicted.IncTo(store.EdgesEvicted);
        });
    }
}
