using AlsAnalyzer.Core.Model;
using System.Collections.Concurrent;
using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Protos.Prometheus;
using Google.Protobuf.Collections;

namespace AlsAnalyzer.Core.Metrics;

/// <summary>
/// The proxies reporting through the metrics service, keyed by node id. Each proxy's state has
/// its own lock, taken by its stream once per message and by queries; proxies never share one.
/// Bounded in count (<see cref="MetricsServiceOptions"/>) and in estimated bytes
/// (<paramref name="maxBytes"/>, the memory budget's share): past it a new proxy, stat or minute
/// of increases is refused (<see cref="SampleRejectReason.MemoryBudget"/>); expiry frees it.
/// </summary>
internal sealed class ProxyRegistry(MetricsServiceOptions settings, Retention retention, long maxBytes = long.MaxValue)
{
    /// <summary>A proxy: its state, dictionary slots, and its identity (node metadata parsed once).</summary>
    public const int BytesPerProxy = 2_048;

    /// <summary>A stat: its series object, its dictionary slot (x1.5), and its name and cluster strings.</summary>
    public const int BytesPerStat = 160;

    /// <summary>A minute of increases: one sorted-dictionary node.</summary>
    public const int BytesPerMinute = 56;

    private readonly ConcurrentDictionary<string, ProxyState> _proxies = new(StringComparer.Ordinal);
    private long _bytes;

    /// <summary>Estimated bytes held by every proxy.</summary>
    public long EstimatedBytes => Interlocked.Read(ref _bytes);

    public long MaxBytes { get; } = maxBytes;

    private bool Full => Interlocked.Read(ref _bytes) >= MaxBytes;

    private void AddBytes(ProxyState proxy, long bytes)
    {
        proxy.EstimatedBytes += bytes;
        Interlocked.Add(ref _bytes, bytes);
    }

    public MetricsServiceOptions Settings { get; } = settings;

    public int Count => _proxies.Count;

    public IEnumerable<ProxyState> Proxies => _proxies.Values;

    /// <summary>Applies one message's metric families to the proxy. Returns false when the proxy cap refused it.</summary>
    public bool Apply(string nodeId, StreamIdentity identity, RepeatedField<MetricFamily> families, DateTimeOffset now, MetricsTally tally)
    {
        if (!_proxies.TryGetValue(nodeId, out var proxy))
        {
            var full = Full;
            if (_proxies.Count >= Settings.MaxProxies || full)
            {
                foreach (var family in families)
                {
                    tally.Families++;
                    tally.Samples += family.Metric.Count;
                    tally.Reject(full ? SampleRejectReason.MemoryBudget : SampleRejectReason.ProxyCap, family.Metric.Count);
                }

                return false;
            }

            var created = new ProxyState(nodeId, identity);
            proxy = _proxies.GetOrAdd(nodeId, created);
            if (ReferenceEquals(proxy, created))
            {
                lock (proxy.Sync)
                {
                    AddBytes(proxy, BytesPerProxy + (2L * nodeId.Length));
                }
            }
        }

        lock (proxy.Sync)
        {
            proxy.Identity = identity;
            proxy.LastReport = now;
            foreach (var family in families)
            {
                ApplyFamily(proxy, family, now, tally);
            }
        }

        return true;
    }

    /// <summary>
    /// Start-up: adds proxies a snapshot held, within the same caps as reporting ones (count and
    /// bytes; past them the rest are not restored); a proxy already reporting is kept as it is.
    /// Returns how many were restored.
    /// </summary>
    public int Restore(IEnumerable<ProxyState> restored)
    {
        var count = 0;
        foreach (var proxy in restored)
        {
            var bytes = BytesPerProxy + (2L * proxy.NodeId.Length) + proxy.Stats.Sum(s => StatBytes(s.Key, s.Value.Cluster, s.Value.ClusterStat) + (s.Value.Minutes * (long)BytesPerMinute));
            if (_proxies.Count >= Settings.MaxProxies || Interlocked.Read(ref _bytes) + bytes > MaxBytes)
            {
                break;
            }

            if (_proxies.TryAdd(proxy.NodeId, proxy))
            {
                lock (proxy.Sync)
                {
                    proxy.EstimatedBytes = 0;
                    AddBytes(proxy, bytes);
                }

                count++;
            }
        }

        return count;
    }

    private static long StatBytes(string key, string? cluster, string? clusterStat) =>
        BytesPerStat + (2L * key.Length) + (2L * (cluster?.Length ?? 0)) + (2L * (clusterStat?.Length ?? 0));

    /// <summary>Forgets proxies silent for longer than the expiry and increases older than the retention.</summary>
    public int Expire(DateTimeOffset now)
    {
        var removed = 0;
        var oldestMinute = retention.OldestMinute(now);
        foreach (var (id, proxy) in _proxies)
        {
            lock (proxy.Sync)
            {
                if (now - proxy.LastReport > Settings.ProxyExpiry)
                {
                    if (_proxies.TryRemove(id, out _))
                    {
                        removed++;
                        Interlocked.Add(ref _bytes, -proxy.EstimatedBytes);
                        proxy.EstimatedBytes = 0;
                    }

                    continue;
                }

                var minutes = 0;
                foreach (var series in proxy.Stats.Values)
                {
                    minutes -= series.Minutes;
                    series.DropBefore(oldestMinute);
                    minutes += series.Minutes;
                }

                AddBytes(proxy, minutes * (long)BytesPerMinute);
            }
        }

        return removed;
    }

    private void ApplyFamily(ProxyState proxy, MetricFamily family, DateTimeOffset now, MetricsTally tally)
    {
        tally.Families++;
        foreach (var metric in family.Metric)
        {
            tally.Samples++;
            var reason = ApplyMetric(proxy, family, metric, now);
            if (reason is { } r)
            {
                tally.Reject(r);
            }
            else
            {
                tally.Accepted++;
            }
        }
    }

    private SampleRejectReason? ApplyMetric(ProxyState proxy, MetricFamily family, Metric metric, DateTimeOffset now)
    {
        var labels = new List<KeyValuePair<string, string>>(metric.Label.Count);
        foreach (var l in metric.Label)
        {
            labels.Add(new(l.Name, l.Value));
        }

        if (!StatName.TryParse(family.Name, labels, out var name))
        {
            return SampleRejectReason.UnparsableName;
        }

        (StatKind Kind, double Value)? sample = family.Type switch
        {
            MetricType.Counter when metric.Counter is not null => (StatKind.Counter, metric.Counter.Value),
            MetricType.Gauge when metric.Gauge is not null => (StatKind.Gauge, metric.Gauge.Value),
            MetricType.Untyped when metric.Untyped is not null => (StatKind.Gauge, metric.Untyped.Value),
            MetricType.Summary when metric.Summary is not null => (StatKind.Distribution, metric.Summary.SampleCount),
            MetricType.Histogram when metric.Histogram is not null => (StatKind.Distribution,
                metric.Histogram.SampleCountFloat > 0 ? metric.Histogram.SampleCountFloat : metric.Histogram.SampleCount),
            _ => null,
        };
        if (sample is not var (kind, value))
        {
            return SampleRejectReason.UnknownType;
        }

        // Envoy reports an idle interval's quantiles as NaN: the count (0) still holds, and the
        // quantiles of the last interval with samples stay the latest known.
        IReadOnlyList<(double, double)> quantiles = family.Type == MetricType.Summary && metric.Summary is not null
            ? metric.Summary.Quantile.Where(q => double.IsFinite(q.Quantile_) && double.IsFinite(q.Value)).Select(q => (q.Quantile_, q.Value)).ToArray()
            : [];

        if (!double.IsFinite(value))
        {
            return SampleRejectReason.NonFinite;
        }

        if (kind == StatKind.Counter && value < 0)
        {
            return SampleRejectReason.NegativeCounter;
        }

        // Istio's SUMMARY_AND_HISTOGRAM sends each Envoy histogram twice: keep them apart.
        var key = kind == StatKind.Distribution ? name.Key + (family.Type == MetricType.Summary ? "#summary" : "#histogram") : name.Key;
        if (!proxy.Stats.TryGetValue(key, out var series))
        {
            if (proxy.Stats.Count >= Settings.MaxStatsPerProxy)
            {
                return SampleRejectReason.StatCap;
            }

            if (Full)
            {
                return SampleRejectReason.MemoryBudget;
            }

            series = new StatSeries(kind, name.Cluster, name.ClusterStat);
            proxy.Stats.Add(key, series);
            AddBytes(proxy, StatBytes(key, name.Cluster, name.ClusterStat));
        }
        else if (series.Kind != kind)
        {
            return SampleRejectReason.UnknownType;
        }

        var minute = MinuteOf(metric, now);
        var newMinute = series.WouldAddMinute(minute);
        if (newMinute && Full)
        {
            return SampleRejectReason.MemoryBudget;
        }

        var minutesBefore = series.Minutes;
        switch (kind)
        {
            case StatKind.Counter:
                series.Counter(value, minute, Settings.MetricsCountersAsDeltas);
                break;
            case StatKind.Gauge:
                series.Gauge(value);
                break;
            default:
                series.Distribution(value, quantiles, minute);
                break;
        }

        if (series.Minutes != minutesBefore)
        {
            AddBytes(proxy, (series.Minutes - minutesBefore) * (long)BytesPerMinute);
        }

        return null;
    }

    /// <summary>The flush time Envoy stamped on the metric, unless absent or implausibly far from ours.</summary>
    private static long MinuteOf(Metric metric, DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var ms = metric.HasTimestampMs && Math.Abs(metric.TimestampMs - nowMs) < 3_600_000 ? metric.TimestampMs : nowMs;
        return ms / 60_000;
    }
}
