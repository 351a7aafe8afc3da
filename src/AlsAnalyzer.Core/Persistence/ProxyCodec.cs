using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Metrics;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Persistence.Format;

namespace AlsAnalyzer.Core.Persistence;

/// <summary>
/// The metrics service's proxies to snapshot sections and back: identity, last report, and
/// every stat's last value, baseline and increases per minute, so the metrics-based answers
/// survive a restart as the minute ring does. One section per proxy, each written under that
/// proxy's own lock.
/// </summary>
internal static class ProxyCodec
{
    public static void Write(SnapshotFile.SectionWriter writer, ProxyRegistry proxies)
    {
        foreach (var proxy in proxies.Proxies)
        {
            Format.Proxy message;
            lock (proxy.Sync)
            {
                message = ToMessage(proxy);
            }

            writer.Write(new Section { Proxy = message });
        }
    }

    public static ProxyState FromMessage(Format.Proxy message)
    {
        var i = message.Identity ?? throw new SnapshotFormatException($"proxy '{message.NodeId}' has no identity");
        if (i.Role is < 0 or > (int)ProxyRole.Proxy)
        {
            throw new SnapshotFormatException($"proxy '{message.NodeId}': role {i.Role} is unknown");
        }

        var n = i.Node ?? throw new SnapshotFormatException($"proxy '{message.NodeId}' has no node");
        if (n.Kind is < 0 or > (int)NodeKind.External)
        {
            throw new SnapshotFormatException($"proxy '{message.NodeId}': node kind {n.Kind} is unknown");
        }

        var identity = new StreamIdentity
        {
            Role = (ProxyRole)i.Role,
            Node = new NodeRef((NodeKind)n.Kind, n.Namespace, n.Name),
            NamedByLabels = i.NamedByLabels,
            Instance = i.Instance,
            Workload = i.Workload,
            Version = i.Version,
            Cluster = i.Cluster,
            InstanceIps = [.. i.InstanceIps],
            LogName = i.LogName,
            WorkloadId = i.HasWorkloadId ? new WorkloadId(i.WorkloadIdWorkload, i.WorkloadIdVersion, i.WorkloadIdCluster) : null,
        };
        var proxy = new ProxyState(message.NodeId, identity) { LastReport = DateTimeOffset.FromUnixTimeMilliseconds(message.LastReportUnixMs) };
        foreach (var s in message.Stats)
        {
            if (s.Kind is < 0 or > (int)StatKind.Distribution)
            {
                throw new SnapshotFormatException($"proxy '{message.NodeId}': stat '{s.Key}' has kind {s.Kind}, unknown");
            }

            if (s.Minutes.Count != s.Increases.Count || s.Quantiles.Count != s.QuantileValues.Count)
            {
                throw new SnapshotFormatException($"proxy '{message.NodeId}': stat '{s.Key}' has unpaired minutes or quantiles");
            }

            var quantiles = new (double, double)[s.Quantiles.Count];
            for (var q = 0; q < quantiles.Length; q++)
            {
                quantiles[q] = (s.Quantiles[q], s.QuantileValues[q]);
            }

            proxy.Stats[s.Key] = StatSeries.Restore(
                (StatKind)s.Kind,
                s.HasCluster ? s.Cluster : null,
                s.HasClusterStat ? s.ClusterStat : null,
                s.Last,
                s.HasBaseline,
                s.Minutes.Zip(s.Increases),
                quantiles);
        }

        return proxy;
    }

    private static Format.Proxy ToMessage(ProxyState proxy)
    {
        var id = proxy.Identity;
        var identity = new ProxyIdentity
        {
            Role = (int)id.Role,
            Node = new Format.Node { Kind = (int)id.Node.Kind, Namespace = id.Node.Namespace, Name = id.Node.Name },
            NamedByLabels = id.NamedByLabels,
            Instance = id.Instance,
            Workload = id.Workload,
            Version = id.Version,
            Cluster = id.Cluster,
            LogName = id.LogName,
        };
        identity.InstanceIps.Add(id.InstanceIps);
        if (id.WorkloadId is { } w)
        {
            identity.HasWorkloadId = true;
            identity.WorkloadIdWorkload = w.Workload;
            identity.WorkloadIdVersion = w.Version;
            identity.WorkloadIdCluster = w.Cluster;
        }

        var message = new Format.Proxy { NodeId = proxy.NodeId, LastReportUnixMs = proxy.LastReport.ToUnixTimeMilliseconds(), Identity = identity };
        foreach (var (key, series) in proxy.Stats)
        {
            var stat = new Stat
            {
                Key = key,
                Kind = (int)series.Kind,
                HasCluster = series.Cluster is not null,
                Cluster = series.Cluster ?? string.Empty,
                HasClusterStat = series.ClusterStat is not null,
                ClusterStat = series.ClusterStat ?? string.Empty,
                Last = series.Last,
                HasBaseline = series.HasBaseline,
            };
            foreach (var (minute, increase) in series.Increases)
            {
                stat.Minutes.Add(minute);
                stat.Increases.Add(increase);
            }

            foreach (var (quantile, value) in series.Quantiles)
            {
                stat.Quantiles.Add(quantile);
                stat.QuantileValues.Add(value);
            }

            message.Stats.Add(stat);
        }

        return message;
    }
}
