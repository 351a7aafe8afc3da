using System.Collections.Concurrent;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Analysis;

/// <summary>An upstream cluster name parsed once, with the destination node its fqdn names.</summary>
internal sealed record ParsedCluster(string Name, UpstreamCluster Cluster, NodeRef Destination);

/// <summary>
/// Parsed cluster names, cached: a mesh has a bounded set of them and every entry names one,
/// so parsing (which splits strings) happens once per name. Past the cap, names are parsed
/// without caching.
/// </summary>
internal static class ClusterNames
{
    private const int Capacity = 100_000;
    private static readonly ConcurrentDictionary<string, ParsedCluster> Cache = new(StringComparer.Ordinal);

    // Counted here: ConcurrentDictionary.Count takes every bucket lock.
    private static int _count;

    /// <summary>No cluster name.</summary>
    public static readonly ParsedCluster Empty = new(string.Empty, new UpstreamCluster(ClusterKind.Other, string.Empty), NodeRef.Unknown);

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

        parsed = Create(name);
        if (Volatile.Read(ref _count) < Capacity && Cache.TryAdd(name, parsed))
        {
            Interlocked.Increment(ref _count);
        }

        return parsed;
    }

    /// <summary>Parses without the cache (for callers that keep their own).</summary>
    public static ParsedCluster Create(string name)
    {
        if (name.Length == 0)
        {
            return Empty;
        }

        var cluster = UpstreamCluster.Parse(name);
        var destination = cluster.Kind == ClusterKind.Outbound && cluster.Host.Length > 0
            ? (UpstreamCluster.TrySplitServiceFqdn(cluster.Host, out var ns, out var service) ? NodeRef.Service(ns, service) : NodeRef.External(cluster.Host))
            : NodeRef.Unknown;
        return new ParsedCluster(name, cluster, destination);
    }
}
