using System.Collections.Concurrent;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Analysis;

/// <summary>An upstream cluster name parsed once, with the destination node its fqdn names.</summary>
internal sealed record ParsedCluster(UpstreamCluster Cluster, NodeRef Destination);

/// <summary>
/// Parsed cluster names, cached: a mesh has a bounded set of them and every entry names one,
/// so parsing (which splits strings) happens once per name. Past the cap, names are parsed
/// without caching.
/// </summary>
internal static class ClusterNames
{
    private const int Capacity = 100_000;
    private static readonly ConcurrentDictionary<string, ParsedCluster> Cache = new(StringComparer.Ordinal);
    private static readonly ParsedCluster Empty = new(new UpstreamCluster(ClusterKind.Other, string.Empty), NodeRef.Unknown);

    public static ParsedCluster Parse(string name)
    {
        if (name.Length == 0)
        {
            return Empty;
        }

        if (Cache.TryGetValue(name, out var parsed))
        {
            return parsed;
        }

        var cluster = UpstreamCluster.Parse(name);
        var destination = cluster.Kind == ClusterKind.Outbound && cluster.Host.Length > 0
            ? (UpstreamCluster.TrySplitServiceFqdn(cluster.Host, out var ns, out var service) ? NodeRef.Service(ns, service) : NodeRef.External(cluster.Host))
            : NodeRef.Unknown;
        parsed = new ParsedCluster(cluster, destination);
        if (Cache.Count < Capacity)
        {
            Cache.TryAdd(name, parsed);
        }

        return parsed;
    }
}
