using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Query;

/// <summary>The HTTP API's read side: topology, services, one service.</summary>
internal static partial class TopologyQueries
{
    /// <summary>The graph in a folded window, unlimited; with a namespace, that namespace's nodes and their direct neighbours.</summary>
    public static TopologyDto Topology(WindowView view, QueryWindow window, string? ns, Func<NodeRef, NodeRef, ClusterDto?>? upstream = null) =>
        Topology([EdgeSlice.Of(view)], window, ns, QueryLimit.None, upstream);

    /// <summary>Every service and gateway of a folded window, unlimited.</summary>
    public static ServicesDto Services(WindowView view, QueryWindow window, string? ns) =>
        Services([EdgeSlice.Of(view)], window, ns, QueryLimit.None);

    /// <summary>
    /// One service with its instances, endpoints and edges (each limited to the busiest
    /// <paramref name="limit"/>); null when it was not seen in the window.
    /// </summary>
    public static ServiceDetailDto? Service(
        WindowView view,
        QueryWindow window,
        string ns,
        string name,
        Func<NodeRef, IReadOnlyList<ProxyDto>>? proxies = null,
        QueryLimit? limit = null)
    {
        var max = (limit ?? QueryLimit.None).Max;
        var node = NodeRef.Service(ns, name);
        var proxyList = proxies?.Invoke(node) ?? [];
        if (!MeshNodes(view).Contains(node) && proxyList.Count == 0)
        {
            return null;
        }

        var instances = Busiest(
                view.Instances.Where(p => p.Key.Service == node),
                static p => new Rank(p.Value.Inbound + p.Value.Outbound, 0),
                static p => p.Key.Instance,
                max,
                out var omittedInstances)
            .OrderBy(p => p.Key.Instance, StringComparer.Ordinal)
            .Select(p => new InstanceDto(p.Key.Instance, p.Value.Inbound, p.Value.InboundErrors, p.Value.Outbound))
            .ToList();
        var endpoints = Busiest(
                view.Endpoints.Where(p => p.Key.Service == node),
                static p => TrafficOf(p.Value).Rank,
                static p => p.Key.Endpoint + " " + (int)p.Key.Protocol,
                max,
                out var omittedEndpoints)
            .OrderBy(p => p.Key.Endpoint, StringComparer.Ordinal)
            .ThenBy(p => p.Key.Protocol)
            .Select(p => Figures.Endpoint(p.Key, p.Value))
            .ToList();
        long totalCalls = 0;
        foreach (var (key, stats) in view.Edges)
        {
            if (key.Target == node || key.Source == node)
            {
                totalCalls += TrafficOf(stats).Calls;
            }
        }

        var keptEdges = new Dictionary<EdgeKey, EdgeStats>();
        var omittedEdges = 0;
        long keptCalls = 0;
        foreach (var inbound in (ReadOnlySpan<bool>)[true, false])
        {
            var side = Busiest(
                view.Edges.Where(p => inbound ? p.Key.Target == node : p.Key.Source == node && p.Key.Target != node),
                static p => TrafficOf(p.Value).Rank,
                static p => p.Key.Source.Id + " " + p.Key.Target.Id + " " + (int)p.Key.Protocol,
                max,
                out var omitted);
            omittedEdges += omitted;
            foreach (var (key, stats) in side)
            {
                keptEdges.Add(key, stats);
                keptCalls += TrafficOf(stats).Calls;
            }
        }

        var inboundList = new List<EdgeDto>();
        var outboundList = new List<EdgeDto>();
        foreach (var (key, stats) in Sorted(keptEdges))
        {
            if (key.Target == node)
            {
                inboundList.Add(Figures.Edge(key, stats));
            }

            if (key.Source == node)
            {
                outboundList.Add(Figures.Edge(key, stats));
            }
        }

        var truncated = omittedInstances + omittedEndpoints + omittedEdges > 0;
        return new ServiceDetailDto(window.From, window.To, Summary(view, window, node), instances, endpoints, inboundList, outboundList)
        {
            Proxies = proxyList,
            Truncated = truncated,
            Omitted = truncated
                ? new OmittedDto(null, omittedEdges, null, omittedInstances, omittedEndpoints, totalCalls - keptCalls, OmittedDto.Share(totalCalls - keptCalls, totalCalls))
                : null,
        };
    }

    private static Traffic TrafficOf(EdgeStats stats)
    {
        var t = default(Traffic);
        t.Add(stats);
        return t;
    }

    private static List<T> Busiest<T>(IEnumerable<T> items, Func<T, Rank> rank, Func<T, string> tie, int max, out int omitted)
    {
        var top = new TopN<T>(max);
        var count = 0;
        foreach (var item in items)
        {
            count++;
            top.Offer(item, rank(item), tie);
        }

        omitted = count - top.Count;
        return top.Items();
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
