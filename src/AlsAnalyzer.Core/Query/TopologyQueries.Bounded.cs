using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Query;

/// <summary>
/// The bounded answers: they stream over the window's minute buckets in place and fold full
/// figures only for what they answer. Working memory is one <see cref="Traffic"/> per distinct
/// edge in scope and the nodes' ranks, at most <see cref="QueryLimit.MaxWorkingEdges"/> edges
/// (<see cref="WorkingEdgesFor"/> sizes it from the query's share of the memory budget); the
/// edges met past it fold into the overflow edge of their protocol, counted in the answer.
/// </summary>
internal static partial class TopologyQueries
{
    /// <summary>
    /// Bytes one working edge may take at most: its traffic entry (key, <see cref="Traffic"/>, hash
    /// and link, about 72 bytes), up to two node ranks (about 40 bytes each), each twice over for a
    /// dictionary's spare capacity and once more while it resizes (old and new arrays at once).
    /// </summary>
    public const int WorkingEdgeBytes = 512;

    /// <summary>The least working set a query is given, whatever its share: answers stay useful in a small budget.</summary>
    public const int MinWorkingEdges = 4_096;

    /// <summary>The working edges that fit in <paramref name="bytes"/> (one query's share of the budget).</summary>
    public static int WorkingEdgesFor(long bytes) => (int)Math.Clamp(bytes / WorkingEdgeBytes, MinWorkingEdges, int.MaxValue);

    /// <summary>
    /// The graph in the window, limited to the <paramref name="limit"/> busiest nodes and, among
    /// the edges between them, the <paramref name="limit"/> busiest edges. With a namespace, that
    /// namespace's nodes and their direct neighbours.
    /// </summary>
    public static TopologyDto Topology(
        IReadOnlyList<EdgeSlice> slices,
        QueryWindow window,
        string? ns,
        QueryLimit limit,
        Func<NodeRef, NodeRef, ClusterDto?>? upstream = null)
    {
        // Pass 1: traffic per edge in scope (two longs per side, no figures).
        var working = TrafficByEdge(slices, ns, limit.MaxWorkingEdges);
        var traffic = working.Edges;
        long totalCalls = 0;
        var nodeTraffic = new Dictionary<NodeRef, Rank>();
        foreach (var (key, t) in traffic)
        {
            totalCalls += t.Calls;
            ref var s = ref CollectionsMarshal.GetValueRefOrAddDefault(nodeTraffic, key.Source, out _);
            s = s.Plus(t.Rank);
            if (key.Target != key.Source)
            {
                ref var d = ref CollectionsMarshal.GetValueRefOrAddDefault(nodeTraffic, key.Target, out _);
                d = d.Plus(t.Rank);
            }
        }

        // The busiest nodes, then the busiest edges between them: both heaps hold at most `limit`.
        HashSet<NodeRef> keptNodes;
        if (nodeTraffic.Count <= limit.Max)
        {
            keptNodes = [.. nodeTraffic.Keys];
        }
        else
        {
            var topNodes = new TopN<NodeRef>(limit.Max);
            foreach (var (node, rank) in nodeTraffic)
            {
                topNodes.Offer(node, rank, static n => n.Id);
            }

            keptNodes = [.. topNodes.Items()];
        }

        var topEdges = new TopN<EdgeKey>(limit.Max);
        foreach (var (key, t) in traffic)
        {
            if (keptNodes.Contains(key.Source) && keptNodes.Contains(key.Target))
            {
                topEdges.Offer(key, t.Rank, static k => k.Source.Id + " " + k.Target.Id + " " + (int)k.Protocol);
            }
        }

        // Pass 2: full figures of the kept edges only.
        var kept = new Dictionary<EdgeKey, EdgeStats>(topEdges.Count);
        long keptCalls = 0;
        foreach (var key in topEdges.Items())
        {
            kept.Add(key, new EdgeStats());
            keptCalls += traffic[key].Calls;
        }

        var shown = new HashSet<NodeRef>();
        foreach (var key in kept.Keys)
        {
            shown.Add(key.Source);
            shown.Add(key.Target);
        }

        var gateways = new HashSet<NodeRef>();
        foreach (var slice in slices)
        {
            foreach (var (key, stats) in slice.Edges)
            {
                if (kept.TryGetValue(key, out var target))
                {
                    target.Merge(stats);
                }
                else if (working.Folded > 0 && InScope(key, ns) && !traffic.ContainsKey(key)
                    && kept.TryGetValue(OverflowOf(key), out var overflow))
                {
                    // Folded in pass 1: its figures go where its traffic was ranked.
                    overflow.Merge(stats);
                }
            }

            foreach (var gateway in slice.Gateways)
            {
                if (shown.Contains(gateway))
                {
                    gateways.Add(gateway);
                }
            }

        }

        var edges = new List<EdgeDto>(kept.Count);
        foreach (var (key, stats) in Sorted(kept))
        {
            var edge = Figures.Edge(key, stats);
            var cluster = upstream is not null && key.Source.Kind == NodeKind.Service ? upstream(key.Source, key.Target) : null;
            edges.Add(cluster is null ? edge : edge with { UpstreamCluster = cluster });
        }

        var nodes = shown
            .Select(n => new NodeDto(n.Id, n.Name, n.Namespace, KindOf(n, gateways)))
            .OrderBy(n => n.Id, StringComparer.Ordinal)
            .ToList();
        var omittedNodes = nodeTraffic.Count - shown.Count;
        var omittedEdges = traffic.Count - kept.Count;
        var truncated = omittedNodes > 0 || omittedEdges > 0 || working.Folded > 0;
        return new TopologyDto(window.From, window.To, nodes, edges)
        {
            Truncated = truncated,
            Omitted = truncated
                ? new OmittedDto(omittedNodes, omittedEdges, null, null, null, totalCalls - keptCalls, OmittedDto.Share(totalCalls - keptCalls, totalCalls))
                {
                    EdgesFolded = working.Folded > 0 ? working.Folded : null,
                }
                : null,
        };
    }

    /// <summary>
    /// Every service and gateway with its inbound figures, limited to the <paramref name="limit"/>
    /// with the most inbound calls (then bytes), in id order.
    /// </summary>
    public static ServicesDto Services(IReadOnlyList<EdgeSlice> slices, QueryWindow window, string? ns, QueryLimit limit)
    {
        // Edges folded past the working bound are not ranked (their target is not known later),
        // but their inbound calls count in the total, hence in what the answer left out.
        long totalCalls = 0;
        var working = TrafficByEdge(slices, ns: null, limit.MaxWorkingEdges, (key, stats) =>
        {
            if (InScope(key.Target, ns))
            {
                totalCalls += PreferredCalls(stats);
            }
        });
        var traffic = working.Edges;
        var inbound = new Dictionary<NodeRef, Rank>();
        foreach (var (key, t) in traffic)
        {
            if (InScope(key.Source, ns))
            {
                CollectionsMarshal.GetValueRefOrAddDefault(inbound, key.Source, out _);
            }

            if (InScope(key.Target, ns))
            {
                ref var r = ref CollectionsMarshal.GetValueRefOrAddDefault(inbound, key.Target, out _);
                r = r.Plus(t.Rank);
                totalCalls += t.Calls;
            }
        }

        var top = new TopN<NodeRef>(limit.Max);
        foreach (var (node, rank) in inbound)
        {
            top.Offer(node, rank, static n => n.Id);
        }

        var keptNodes = top.Items();
        var sums = new Dictionary<NodeRef, SummarySum>(keptNodes.Count);
        foreach (var node in keptNodes)
        {
            sums.Add(node, new SummarySum());
        }

        var gateways = new HashSet<NodeRef>();
        foreach (var slice in slices)
        {
            foreach (var (key, stats) in slice.Edges)
            {
                if (sums.TryGetValue(key.Target, out var sum) && traffic.ContainsKey(key))
                {
                    // The side a folded window would prefer for this edge: the server's if it reported at all.
                    var side = traffic[key].HasServer ? stats.Server : stats.Client;
                    if (side is not null)
                    {
                        sum.Add(side);
                    }
                }
            }

            foreach (var gateway in slice.Gateways)
            {
                if (sums.ContainsKey(gateway))
                {
                    gateways.Add(gateway);
                }
            }

        }

        long keptCalls = 0;
        var list = new List<ServiceSummaryDto>(sums.Count);
        foreach (var node in keptNodes.OrderBy(n => n.Id, StringComparer.Ordinal))
        {
            var sum = sums[node];
            keptCalls += sum.Requests + sum.Connections;
            list.Add(sum.ToDto(node, KindOf(node, gateways), window));
        }

        var omitted = inbound.Count - list.Count;
        var truncated = omitted > 0 || working.Folded > 0;
        return new ServicesDto(window.From, window.To, list)
        {
            Truncated = truncated,
            Omitted = truncated
                ? new OmittedDto(null, null, omitted, null, null, totalCalls - keptCalls, OmittedDto.Share(totalCalls - keptCalls, totalCalls))
                {
                    EdgesFolded = working.Folded > 0 ? working.Folded : null,
                }
                : null,
        };
    }

    /// <summary>
    /// Traffic per distinct edge in scope, for at most <paramref name="maxEdges"/> edges (and the
    /// overflow edge of each protocol): an edge first met when that many are tallied folds, in
    /// every minute, into the overflow edge of its protocol, and each such edge-minute is counted
    /// in <see cref="WorkingTraffic.Folded"/> and handed to <paramref name="folded"/>.
    /// </summary>
    internal static WorkingTraffic TrafficByEdge(IReadOnlyList<EdgeSlice> slices, string? ns, int maxEdges, Action<EdgeKey, EdgeStats>? folded = null)
    {
        var traffic = new Dictionary<EdgeKey, Traffic>();
        long foldedCount = 0;
        foreach (var slice in slices)
        {
            foreach (var (key, stats) in slice.Edges)
            {
                if (!InScope(key, ns))
                {
                    continue;
                }

                ref var t = ref CollectionsMarshal.GetValueRefOrNullRef(traffic, key);
                if (!Unsafe.IsNullRef(ref t))
                {
                    t.Add(stats);
                    continue;
                }

                if (traffic.Count >= maxEdges)
                {
                    foldedCount++;
                    folded?.Invoke(key, stats);
                    CollectionsMarshal.GetValueRefOrAddDefault(traffic, OverflowOf(key), out _).Add(stats);
                    continue;
                }

                CollectionsMarshal.GetValueRefOrAddDefault(traffic, key, out _).Add(stats);
            }
        }

        return new WorkingTraffic(traffic, foldedCount);
    }

    private static bool InScope(EdgeKey key, string? ns) => ns is null || key.Source.Namespace == ns || key.Target.Namespace == ns;

    private static EdgeKey OverflowOf(EdgeKey key) => new(NodeRef.Overflow, NodeRef.Overflow, key.Protocol);

    /// <summary>The calls of one edge-minute as its preferred side reported them (the server's if it did).</summary>
    private static long PreferredCalls(EdgeStats stats) => stats.Server?.Calls ?? stats.Client?.Calls ?? 0;

    private static bool InScope(NodeRef node, string? ns) => node.Kind == NodeKind.Service && (ns is null || node.Namespace == ns);

    private static string KindOf(NodeRef node, HashSet<NodeRef> gateways) => node.Kind switch
    {
        NodeKind.Unknown => "unknown",
        NodeKind.External => "external",
        _ => gateways.Contains(node) ? "gateway" : "service",
    };

    /// <summary>A query's working traffic: per tallied edge, and the edge-minutes folded past its bound.</summary>
    internal sealed record WorkingTraffic(Dictionary<EdgeKey, Traffic> Edges, long Folded);

    /// <summary>The inbound figures of one service, summed over the preferred side of each inbound edge.</summary>
    private sealed class SummarySum
    {
        private LatencyHistogram _latency;

        public long Requests { get; private set; }

        public long Connections { get; private set; }

        private long _errors;
        private long _latencySum;

        public void Add(SideStats side)
        {
            Requests += side.Requests;
            Connections += side.Connections;
            _errors += side.Errors;
            _latencySum += side.LatencySumMicros;
            _latency.Merge(side.Latency);
        }

        public ServiceSummaryDto ToDto(NodeRef node, string kind, QueryWindow window)
        {
            var calls = Requests + Connections;
            return new ServiceSummaryDto(
                node.Id,
                node.Name,
                node.Namespace,
                kind,
                Requests,
                Math.Round(Requests / window.Seconds, 4),
                _errors,
                calls == 0 ? 0 : Math.Round(_errors / (double)calls, 4),
                Figures.Latency(_latency, _latencySum),
                Connections);
        }
    }
}
