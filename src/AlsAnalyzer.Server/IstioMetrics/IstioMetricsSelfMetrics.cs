using AlsAnalyzer.Core.IstioMetrics;
using AlsAnalyzer.Server.Metrics;

namespace AlsAnalyzer.Server.IstioMetrics;

/// <summary>Self-metrics of the Istio series and of their remote write.</summary>
internal sealed class IstioMetricsSelfMetrics : ISelfMetricsComponent
{
    public IstioMetricsSelfMetrics(SelfMetrics metrics, IstioSeriesStore store, RemoteWriter writer, EdgeSeries edges)
    {
        var f = metrics.Factory;
        var series = f.CreateGauge("als_istio_series", "Istio label sets held (each is one series per Istio metric).");
        var held = f.CreateGauge("als_istio_series_held", "New Istio label sets still published at 0 until every consumer has read them once.");
        var folded = f.CreateCounter("als_istio_series_overflow_records_total", "Records counted in the overflow Istio series because IstioMaxSeries label sets were held.");
        var expired = f.CreateCounter("als_istio_series_expired_total", "Istio label sets dropped after IstioSeriesIdleSeconds without a record.");
        var sent = f.CreateCounter("als_istio_remote_write_samples_sent_total", "Samples the remote-write receiver accepted.");
        var failed = f.CreateCounter("als_istio_remote_write_samples_failed_total", "Samples refused (4xx) or still failing after every retry (5xx, network).");
        var dropped = f.CreateCounter("als_istio_remote_write_samples_dropped_total", "Samples dropped unsent because the remote-write queue was full.");
        var queued = f.CreateGauge("als_istio_remote_write_queued_samples", "Samples waiting to be sent.");
        var edgeSeries = f.CreateGauge("als_istio_edge_series", "als_edge_* series in the last remote-write push (compact per-edge-side sums of the Istio series).");
        var lastSuccess = f.CreateGauge("als_istio_remote_write_last_success_timestamp_seconds", "Unix time of the last request the remote-write receiver accepted (0: none yet).");
        metrics.BeforeCollect(() =>
        {
            var (count, heldCount) = store.Counts();
            series.Set(count);
            held.Set(heldCount);
            folded.IncTo(store.FoldedRecords);
            expired.IncTo(store.ExpiredSeries);
            sent.IncTo(writer.SamplesSent);
            failed.IncTo(writer.SamplesFailed);
            dropped.IncTo(writer.SamplesDropped);
            queued.Set(writer.QueuedSamples);
            lastSuccess.Set(writer.LastSuccessSeconds);
            edgeSeries.Set(edges.LastPushed);
        });
    }
}
