using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Query;

/// <summary>The minute buckets of a window folded into one: what every query reads.</summary>
internal sealed class WindowView
{
    public Dictionary<EdgeKey, EdgeStats> Edges { get; } = [];

    public Dictionary<EndpointKey, EdgeStats> Endpoints { get; } = [];

    public Dictionary<InstanceKey, InstanceStats> Instances { get; } = [];

    public HashSet<NodeRef> Gateways { get; } = [];

    public static WindowView Fold(IReadOnlyList<KeyValuePair<long, MinuteBucket>> minutes)
    {
        var view = new WindowView();
        foreach (var (_, bucket) in minutes)
        {
            foreach (var (key, stats) in bucket.Edges)
            {
                GetOrAdd(view.Edges, key).Merge(stats);
            }

            foreach (var (key, stats) in bucket.Endpoints)
            {
                GetOrAdd(view.Endpoints, key).Merge(stats);
            }

            foreach (var (key, stats) in bucket.Instances)
            {
                if (!view.Instances.TryGetValue(key, out var existing))
                {
                    existing = new InstanceStats();
                    view.Instances.Add(key, existing);
                }

                existing.Merge(stats);
            }

            view.Gateways.UnionWith(bucket.Gateways);
        }

        return view;
    }

    /// <summary>
    /// The window as one service sees it: only its edges (either end), its endpoints and
    /// instances, and the gateways among it and its neighbours. The rest of the ring is not copied.
    /// </summary>
    public static WindowView FoldFor(IReadOnlyList<KeyValuePair<long, MinuteBucket>> minutes, NodeRef node)
    {
        var view = new WindowView();
        foreach (var (_, bucket) in minutes)
        {
            foreach (var (key, stats) in bucket.Edges)
            {
                if (key.Source == node || key.Target == node)
                {
                    GetOrAdd(view.Edges, key).Merge(stats);
                }
            }

            foreach (var (key, stats) in bucket.Endpoints)
            {
                if (key.Service == node)
                {
                    GetOrAdd(view.Endpoints, key).Merge(stats);
                }
            }

            foreach (var (key, stats) in bucket.Instances)
            {
                if (key.Service == node)
                {
                    if (!view.Instances.TryGetValue(key, out var existing))
                    {
                        existing = new InstanceStats();
                        view.Instances.Add(key, existing);
                    }

                    existing.Merge(stats);
                }
            }
        }

        var seen = new HashSet<NodeRef> { node };
        foreach (var key in view.Edges.Keys)
        {
            seen.Add(key.Source);
            seen.Add(key.Target);
        }

        foreach (var (_, bucket) in minutes)
        {
            foreach (var gateway in bucket.Gateways)
            {
                if (seen.Contains(gateway))
                {
                    view.Gateways.Add(gateway);
                }
            }
        }

        return view;
    }

    public string KindOf(NodeRef node) => node.Kind switch
    {
        NodeKind.Unknown => "unknown",
        NodeKind.External => "external",
        _ => Gateways.Contains(node) ? "gateway" : "service",
    };

    public NodeDto Node(NodeRef node) => new(node.Id, node.Name, node.Namespace, KindOf(node));

    private static EdgeStats GetOrAdd<TKey>(Dictionary<TKey, EdgeStats> map, TKey key)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var stats))
        {
            stats = new EdgeStats();
            map.Add(key, stats);
        }

        return stats;
    }
}
