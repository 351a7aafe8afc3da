using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Ingest;
using AlsAnalyzer.Core.Metrics;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Server.Hosting;

namespace AlsAnalyzer.Server.Metrics;

/// <summary>Self-metrics of the memory budget: each share, the estimated bytes held against it, and what was evicted or refused.</summary>
internal sealed class MemoryMetrics : ISelfMetricsComponent
{
    public MemoryMetrics(SelfMetrics metrics, MemoryBudget budget, Aggregator aggregator, ProxyRegistry proxies, TcpConnectionBudget tcp, IEnumerable<IAccessLogPipeline> pipelines)
    {
        var f = metrics.Factory;
        var shares = f.CreateGauge("als_memory_budget_bytes", "Bytes of the memory budget given to each share (Als:MemoryBudgetMegabytes).", "share");
        foreach (var (name, _) in MemoryBudget.Split)
        {
            shares.WithLabels(name).Set(budget.Share(name));
        }

        var heapLimit = f.CreateGauge(
            "als_gc_heap_limit_bytes",
            "Hard limit of the garbage collector's heap (Als:GcHeapLimitMegabytes, or the runtime's own); 0 when the heap has none.");
        var used = f.CreateGauge("als_memory_estimated_bytes", "Estimated bytes held against a share of the memory budget.", "share");
        var evictedMinutes = f.CreateCounter(
            "als_aggregation_evicted_buckets_total",
            "Minutes evicted from the minute ring (oldest first) because it outgrew its share of the memory budget.");
        var evictedCalls = f.CreateCounter(
            "als_aggregation_evicted_calls_total",
            "Calls in records that arrived for a minute already evicted, dropped.");
        var tracked = f.CreateGauge("als_tcp_connections_tracked", "Open TCP connections tracked across all streams.");
        var untracked = f.CreateCounter(
            "als_tcp_connections_untracked_total",
            "TCP connections not tracked because the tracking share of the memory budget was full (only their final entry counts).");
        metrics.BeforeCollect(() =>
        {
            used.WithLabels(MemoryBudget.Ring).Set(aggregator.EstimatedBytes);
            used.WithLabels(MemoryBudget.MetricsService).Set(proxies.EstimatedBytes);
            used.WithLabels(MemoryBudget.DecodeTables).Set(pipelines.Sum(p => p.Tables.Sum(t => t.Table.Bytes)));
            used.WithLabels(MemoryBudget.TcpConnections).Set(tcp.Held * TcpConnectionBudget.BytesPerConnection);
            used.WithLabels(MemoryBudget.Samples).Set(aggregator.Samples?.EstimatedBytes ?? 0);
            heapLimit.Set(GcHeapLimit.Current);
            evictedMinutes.IncTo(aggregator.EvictedMinutes);
            evictedCalls.IncTo(aggregator.EvictedCalls);
            tracked.Set(tcp.Held);
            untracked.IncTo(tcp.Refused);
        });
    }
}
