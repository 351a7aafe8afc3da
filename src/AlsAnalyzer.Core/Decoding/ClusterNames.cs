using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>An upstream cluster name parsed once, with the destination node its fqdn names.</summary>
internal sealed record ParsedCluster(string Name, UpstreamCluster Cluster, NodeRef Destination);

/// <summary>Parses upstream cluster names; the decoders keep the results in their own bounded tables.</summary>
internal static class ClusterNames
{
    /// <summary>No cluster name.</summary>
    public static readonly ParsedCluster Empty = new(string.Empty, new UpstreamCluster(ClusterKind.Other, string.Empty), NodeRef.Unknown);

    /// <summary>Parses a name (splitting strings: callers cache the result).</summary>
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
