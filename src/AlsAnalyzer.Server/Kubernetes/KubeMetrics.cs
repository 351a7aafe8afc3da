using AlsAnalyzer.Server.Metrics;
using Prometheus;

namespace AlsAnalyzer.Server.Kubernetes;

/// <summary>Self-metrics of the Kubernetes metadata cache, in the service's registry.</summary>
internal sealed class KubeMetrics : ISelfMetricsComponent
{
    private readonly Gauge _objects;
    private readonly Counter _restarts;
    private readonly Counter _relists;
    private readonly Gauge _lastSync;
    private readonly Counter _malformed;
    private readonly Gauge _addresses;
    private readonly Gauge _synced;

    public KubeMetrics(SelfMetrics metrics)
    {
        var f = metrics.Factory;
        _objects = f.CreateGauge("als_kube_objects", "Kubernetes objects held by the metadata cache, by resource.", "resource");
        _restarts = f.CreateCounter("als_kube_watch_restarts_total", "Watches that ended and were started again, by resource and reason.", "resource", "reason");
        _relists = f.CreateCounter("als_kube_relists_total", "Full lists after the watch's resourceVersion expired (410 Gone), by resource.", "resource", "reason");
        _lastSync = f.CreateGauge("als_kube_last_sync_timestamp_seconds", "Unix time of the last successful full list, by resource.", "resource");
        _malformed = f.CreateCounter("als_kube_objects_rejected_total", "Objects or watch events skipped as malformed, by resource and reason.", "resource", "reason");
        _addresses = f.CreateGauge("als_kube_index_addresses", "IP addresses in the current IP index.");
        _synced = f.CreateGauge("als_kube_synced", "1 when every watched resource completed its first full list.");
    }

    public void Listed(string resource, int count, DateTimeOffset now)
    {
        _objects.WithLabels(resource).Set(count);
        _lastSync.WithLabels(resource).Set(now.ToUnixTimeMilliseconds() / 1000.0);
    }

    public void Objects(string resource, int count) => _objects.WithLabels(resource).Set(count);

    public void WatchRestart(string resource, string reason) => _restarts.WithLabels(resource, reason).Inc();

    public void Relist(string resource, string reason) => _relists.WithLabels(resource, reason).Inc();

    public void Malformed(string resource, string reason) => _malformed.WithLabels(resource, reason).Inc();

    public void Index(int addresses, bool synced)
    {
        _addresses.Set(addresses);
        _synced.Set(synced ? 1 : 0);
    }
}
