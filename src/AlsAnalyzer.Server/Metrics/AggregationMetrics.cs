using AlsAnalyzer.Core.Aggregation;

namespace AlsAnalyzer.Server.Metrics;

/// <summary>Self-metrics of the minute ring: the series it holds and what its caps folded into overflow.</summary>
internal sealed class AggregationMetrics : ISelfMetricsComponent
{
    public const string Edge = "edge";
    public const string Endpoint = "endpoint";
    public const string Instance = "instance";

    public AggregationMetrics(SelfMetrics metrics, Aggregator aggregator)
    {
        var f = metrics.Factory;
        var series = f.CreateGauge("als_aggregation_series", "Series held in the minute ring, by dimension.", "dimension");
        var minutes = f.CreateGauge("als_aggregation_buckets", "Minute buckets held in the ring.");
        var overflow = f.CreateCounter(
            "als_aggregation_overflow_total",
            "Records folded into an overflow series because a cardinality cap was reached, by dimension.",
            "dimension");
        var shards = f.CreateGauge(
            "als_aggregation_shards",
            "Ingest aggregation shards: two per core, plus one for each time a writer found every shard claimed.");
        var collectorWaits = f.CreateCounter(
            "als_aggregation_collector_waits_total",
            "Shard buffers the collector swapped out while a writer was still inside, and so waited for that message.");
        var mergedWhileRead = f.CreateCounter(
            "als_aggregation_merged_while_read_total",
            "Shard minutes the collector merged into a pending bucket because a query was reading that minute (folded in after the query).");
        metrics.BeforeCollect(() =>
        {
            var (edges, endpoints, instances, buckets) = aggregator.SeriesCounts();
            series.WithLabels(Edge).Set(edges);
            series.WithLabels(Endpoint).Set(endpoints);
            series.WithLabels(Instance).Set(instances);
            minutes.Set(buckets);
            var total = aggregator.OverflowTotal;
            overflow.WithLabels(Edge).IncTo(total.Edges);
            overflow.WithLabels(Endpoint).IncTo(total.Endpoints);
            overflow.WithLabels(Instance).IncTo(total.Instances);
            shards.Set(aggregator.ShardCount);
            collectorWaits.IncTo(aggregator.SwapsMidMessage);
            mergedWhileRead.IncTo(aggregator.MergedWhileRead);
        });
    }
}
