using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Query;

/// <summary>The HTTP API's read side: topology, services, one service.</summary>
internal static class TopologyQueries
{
    /// <summary>The graph in the window; with a namespace, that namespace's nodes and their direct neighbours.</summary>
    public static TopologyDto Topology(WindowView view, QueryWindow window, string? ns, Func<NodeRef, NodeRef, ClusterDto?>? upstream = null)
    {
        var nodes = new Dictionary<NodeRef, NodeDto>();
        var edges = new List<EdgeDto>();
        foreach (var (key, stats) in Sorted(view.Edges))
        {
            if (ns is not null && key.Source.Namespace != ns && key.Target.Namespace != ns)
            {
                continue;
            }

            nodes.TryAdd(key.Source, view.Node(key.Source));
            nodes.TryAdd(key.Target, view.Node(key.Target));
            var edge = Figures.Edge(key, stats);
            var cluster = upstream is not null && key.Source.Kind == NodeKind.Service ? upstream(key.Source, key.Target) : null;
            edges.Add(cluster is null ? edge : edge with { UpstreamCluster = cluster });
        }

        var nodeList = nodes.Values.OrderBy(n => n.Id, StringComparer.Ordinal).ToList();
        return new TopologyDto(window.From, window.To, nodeList, edges);
    }

    public static ServicesDto Services(WindowView view, QueryWindow window, string? ns)
    {
        var list = new List<ServiceSummaryDto>();
        foreach (var node in MeshNodes(view))
        {
            if (ns is null || node.Namespace == ns)
            {
                list.Add(Summary(view, window, node));
            }
        }

        return new ServicesDto(window.From, window.To, list);
    }

    /// <summary>One service with its instances, endpoints and edges; null when it was not seen in the window.</summary>
    public static ServiceDetailDto? Service(WindowView view, QueryWindow window, string ns, string name, Func<NodeRef, IReadOnlyList<ProxyDto>>? proxies = null)
    {
        var node = NodeRef.Service(ns, name);
        var proxyList = proxies?.Invoke(node) ?? [];
        if (!MeshNodes(view).Contains(node) && proxyList.Count == 0)
        {
            return null;
        }

        var instances = view.Instances
            .Where(p => p.Key.Service == node)
            .OrderBy(p => p.Key.Instance, StringComparer.Ordinal)
            .Select(p => new InstanceDto(p.Key.Instance, p.Value.Inbound, p.Value.InboundErrors, p.Value.Outbound))
            .ToList();
        var endpoints = view.Endpoints
            .Where(p => p.Key.Service == node)
            .OrderBy(p => p.Key.Endpoint, StringComparer.Ordinal)
            .ThenBy(p => p.Key.Protocol)
            .Select(p => Figures.Endpoint(p.Key, p.Value))
            .ToList();
        var inbound = new List<EdgeDto>();
        var outbound = new List<EdgeDto>();
        foreach (var (key, stats) in Sorted(view.Edges))
        {
            if (key.Target == node)
            {
                inbound.Add(Figures.Edge(key, stats));
            }

            if (key.Source == node)
            {
                outbound.Add(Figures.Edge(key, stats));
            }
        }

        return new ServiceDetailDto(window.From, window.To, Summary(view, window, node), instances, endpoints, inbound, outbound)
        {
            Proxies = proxyList,
        };
    }

    /// <summary>Inbound figures of a service: the preferred side of each inbound edge, summed.</summary>
    private static ServiceSummaryDto Summary(WindowView view, QueryWindow window, NodeRef node)
    {
        long requests = 0, errors = 0, connections = 0, latencySum = 0;
        var latency = new LatencyHistogram();
        foreach (var (key, stats) in view.Edges)
        {
            if (key.Target != node || stats.Preferred is not { } side)
            {
                continue;
            }

            requests += side.Requests;
            connections += side.Connections;
            errors += side.Errors;
            latencySum += side.LatencySumMicros;
            latency.Merge(side.Latency);
        }

        var calls = requests + connections;
        return new ServiceSummaryDto(
            node.Id,
            node.Name,
            node.Namespace,
            view.KindOf(node),
            requests,
            Math.Round(requests / window.Seconds, 4),
            errors,
            calls == 0 ? 0 : Math.Round(errors / (double)calls, 4),
            Figures.Latency(latency, latencySum),
            connections);
    }

    private static SortedSet<NodeRef> MeshNodes(WindowView view)
    {
        var set = new SortedSet<NodeRef>(Comparer<NodeRef>.Create((a, b) => string.CompareOrdinal(a.Id, b.Id)));
        foreach (var key in view.Edges.Keys)
        {
            if (key.Source.Kind == NodeKind.Service)
            {
                set.Add(key.Source);
            }

            if (key.Target.Kind == NodeKind.Service)
            {
                set.Add(key.Target);
            }
        }

        return set;
    }

    private static IEnumerable<KeyValuePair<EdgeKey, EdgeStats>> Sorted(Dictionary<EdgeKey, EdgeStats> edges) =>
        edges
            .OrderBy(p => p.Key.Source.Id, StringComparer.Ordinal)
            .ThenBy(p => p.Key.Target.Id, StringComparer.Ordinal)
            .ThenBy(p => p.Key.Protocol);
}
