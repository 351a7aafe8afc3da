namespace AlsAnalyzer.Server.Metrics;

/// <summary>Self-metrics of the aggregate snapshots: writes, their size and duration, the last success, and what start-up found.</summary>
internal sealed class SnapshotMetrics : ISelfMetricsComponent
{
    public const string Ok = "ok";
    public const string Failed = "failed";
    public const string Restored = "restored";
    public const string None = "none";
    public const string MovedAside = "moved_aside";

    private readonly Prometheus.Counter _writes;
    private readonly Prometheus.Gauge _bytes;
    private readonly Prometheus.Gauge _duration;
    private readonly Prometheus.Gauge _lastSuccess;
    private readonly Prometheus.Counter _loads;

    public SnapshotMetrics(SelfMetrics metrics)
    {
        var f = metrics.Factory;
        _writes = f.CreateCounter("als_snapshot_writes_total", "Snapshots of the aggregates written (ok) or not (failed: the previous one is kept).", "result");
        _bytes = f.CreateGauge("als_snapshot_bytes", "Size of the last snapshot written.");
        _duration = f.CreateGauge("als_snapshot_duration_seconds", "Time the last snapshot took, from reading the aggregates to the file flushed to disk.");
        _lastSuccess = f.CreateGauge("als_snapshot_last_success_timestamp_seconds", "Unix time of the last snapshot written; 0 before the first.");
        _loads = f.CreateCounter(
            "als_snapshot_loads_total",
            "Snapshots found at start-up: restored, none (no file), or moved_aside (unreadable, renamed beside it).",
            "result");
        SelfMetrics.Children(_writes, [Ok, Failed]);
        SelfMetrics.Children(_loads, [Restored, None, MovedAside]);
    }

    public void Written(long bytes, TimeSpan duration, DateTimeOffset at)
    {
        _writes.WithLabels(Ok).Inc();
        _bytes.Set(bytes);
        _duration.Set(duration.TotalSeconds);
        _lastSuccess.Set(at.ToUnixTimeMilliseconds() / 1000.0);
    }

    public void WriteFailed() => _writes.WithLabels(Failed).Inc();

    public void Loaded(string result) => _loads.WithLabels(result).Inc();
}
