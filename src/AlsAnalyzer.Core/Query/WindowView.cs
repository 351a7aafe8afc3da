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
