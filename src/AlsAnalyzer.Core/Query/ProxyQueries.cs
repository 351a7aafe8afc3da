using System.Globalization;
using AlsAnalyzer.Core.Metrics;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Query;

/// <summary>The metrics-service side of the API: proxies, their clusters, and cluster figures for edges.</summary>
internal static class ProxyQueries
{
    public static ProxiesDto List(ProxyRegistry registry, QueryWindow window, string? ns, string? service, IReadOnlyList<string> stats)
    {
        var list = new List<ProxyDto>();
        foreach (var proxy in registry.Proxies)
        {
            lock (proxy.Sync)
            {
                var node = proxy.Identity.Node;
                if ((ns is null || node.Namespace == ns) && (service is null || node.Id == service))
                {
                    list.Add(Proxy(proxy, window, stats));
                }
            }
        }

        list.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return new ProxiesDto(window.From, window.To, list);
    }

    public static IReadOnlyList<ProxyDto> ForService(ProxyRegistry registry, QueryWindow window, NodeRef node) =>
        List(registry, window, null, node.Id, []).Proxies;

    /// <summary>
    /// The summed figures of every outbound cluster of <paramref name="source"/>'s proxies that
    /// leads to <paramref name="target"/>; null when no such cluster reported.
    /// </summary>
    public static ClusterDto? ForEdge(ProxyRegistry registry, QueryWindow window, NodeRef source, NodeRef target)
    {
        var totals = new ClusterTotals();
        var proxies = 0;
        foreach (var proxy in registry.Proxies)
        {
            lock (proxy.Sync)
            {
                if (proxy.Identity.Node != source)
                {
                    continue;
                }

                var matched = false;
                foreach (var (cluster, series) in ClusterSeries(proxy))
                {
                    var parsed = UpstreamCluster.Parse(cluster);
                    if (parsed.Kind == ClusterKind.Outbound && DestinationNode(parsed) == target)
                    {
                        totals.Add(series, window);
                        matched = true;
                    }
                }

                proxies += matched ? 1 : 0;
            }
        }

        return proxies == 0 ? null : totals.ToDto(window) with { Proxies = proxies };
    }

    private static ProxyDto Proxy(ProxyState proxy, QueryWindow window, IReadOnlyList<string> stats)
    {
        var identity = proxy.Identity;
        var clusters = new List<ClusterDto>();
        foreach (var (cluster, series) in ClusterSeries(proxy).GroupBy(p => p.Cluster, p => p.Series).Select(g => (g.Key, g.ToList())))
        {
            var totals = new ClusterTotals();
            foreach (var s in series)
            {
                totals.Add(s, window);
            }

            var parsed = UpstreamCluster.Parse(cluster);
            clusters.Add(totals.ToDto(window) with
            {
                Name = cluster,
                Direction = parsed.Kind switch
                {
                    ClusterKind.Outbound => "outbound",
                    ClusterKind.Inbound => "inbound",
                    _ => "other",
                },
                Destination = parsed.Kind == ClusterKind.Outbound ? DestinationNode(parsed).Id : null,
                Port = parsed.Port == 0 ? null : parsed.Port,
                Subset = parsed.Subset.Length == 0 ? null : parsed.Subset,
            });
        }

        clusters.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new ProxyDto
        {
            Id = proxy.NodeId,
            Service = identity.Node.Id,
            Namespace = identity.Node.Namespace,
            Name = identity.Node.Name,
            Instance = identity.Instance,
            Role = identity.Role.ToString().ToLowerInvariant(),
            LastReport = proxy.LastReport,
            MemoryAllocated = Gauge(proxy, "server.memory_allocated"),
            MemoryHeapSize = Gauge(proxy, "server.memory_heap_size"),
            MemoryPhysicalSize = Gauge(proxy, "server.memory_physical_size"),
            Connections = Gauge(proxy, "server.total_connections"),
            WorkerThreads = Gauge(proxy, "server.concurrency"),
            UptimeSeconds = Gauge(proxy, "server.uptime"),
            Clusters = clusters,
            Stats = stats.Count == 0 ? null : Requested(proxy, window, stats),
        };
    }

    private static Dictionary<string, StatDto> Requested(ProxyState proxy, QueryWindow window, IReadOnlyList<string> names)
    {
        var result = new Dictionary<string, StatDto>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            foreach (var (key, series) in proxy.Stats)
            {
                if (key == name || (key.StartsWith(name, StringComparison.Ordinal) && key.Length > name.Length && key[name.Length] is '{' or '#'))
                {
                    result[key] = Stat(series, window);
                }
            }
        }

        return result;
    }

    private static StatDto Stat(StatSeries s, QueryWindow window)
    {
        switch (s.Kind)
        {
            case StatKind.Gauge:
                return new StatDto("gauge", s.Last, null, null, null);
            case StatKind.Counter:
                var inc = s.IncreaseBetween(window.FromMinute, window.ToMinute);
                return new StatDto("counter", s.Last, inc, Math.Round(inc / window.Seconds, 4), null);
            default:
                var count = s.IncreaseBetween(window.FromMinute, window.ToMinute);
                var quantiles = s.Quantiles.ToDictionary(q => q.Quantile.ToString(CultureInfo.InvariantCulture), q => q.Value);
                return new StatDto("distribution", s.Last, count, Math.Round(count / window.Seconds, 4), quantiles);
        }
    }

    private static double? Gauge(ProxyState proxy, string name) =>
        proxy.Stats.TryGetValue(name, out var s) && s.Kind == StatKind.Gauge ? s.Last : null;

    private static IEnumerable<(string Cluster, StatSeries Series)> ClusterSeries(ProxyState proxy)
    {
        foreach (var s in proxy.Stats.Values)
        {
            if (s.Cluster is not null && s.ClusterStat is not null)
            {
                yield return (s.Cluster, s);
            }
        }
    }

    private static NodeRef DestinationNode(UpstreamCluster cluster) =>
        UpstreamCluster.TrySplitServiceFqdn(cluster.Host, out var ns, out var name) ? NodeRef.Service(ns, name) : NodeRef.External(cluster.Host);

    /// <summary>Adds up the tracked stats of one or more clusters.</summary>
    private sealed class ClusterTotals
    {
        private readonly Dictionary<string, double> _increase = new(StringComparer.Ordinal);
        private readonly Dictionary<string, double> _gauge = new(StringComparer.Ordinal);

        public void Add(StatSeries s, QueryWindow window)
        {
            var stat = s.ClusterStat!;
            if (s.Kind == StatKind.Counter)
            {
                _increase[stat] = _increase.GetValueOrDefault(stat) + s.IncreaseBetween(window.FromMinute, window.ToMinute);
            }
            else if (s.Kind == StatKind.Gauge)
            {
                _gauge[stat] = _gauge.GetValueOrDefault(stat) + s.Last;
            }
        }

        public ClusterDto ToDto(QueryWindow window)
        {
            var requests = _increase.GetValueOrDefault("upstream_rq_total");
            return new ClusterDto
            {
                Requests = requests,
                RequestRate = Math.Round(requests / window.Seconds, 4),
                Retries = _increase.GetValueOrDefault("upstream_rq_retry"),
                Timeouts = _increase.GetValueOrDefault("upstream_rq_timeout"),
                ConnectionFailures = _increase.GetValueOrDefault("upstream_cx_connect_fail"),
                PendingOverflows = _increase.GetValueOrDefault("upstream_rq_pending_overflow"),
                Connections = _increase.GetValueOrDefault("upstream_cx_total"),
                ActiveRequests = _gauge.GetValueOrDefault("upstream_rq_active"),
                PendingRequests = _gauge.GetValueOrDefault("upstream_rq_pending_active"),
                ActiveConnections = _gauge.GetValueOrDefault("upstream_cx_active"),
                HealthyMembers = _gauge.GetValueOrDefault("membership_healthy"),
                Members = _gauge.GetValueOrDefault("membership_total"),
            };
        }
    }
}
