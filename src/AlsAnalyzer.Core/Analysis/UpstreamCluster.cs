namespace AlsAnalyzer.Core.Analysis;

/// <summary>Istio's upstream cluster name, parsed: kind, and for outbound clusters the fqdn.</summary>
internal readonly record struct UpstreamCluster(ClusterKind Kind, string Host)
{
    public static UpstreamCluster Parse(string name)
    {
        if (name.StartsWith("outbound|", StringComparison.Ordinal))
        {
            // outbound|<port>|<subset>|<fqdn>
            var last = name.LastIndexOf('|');
            return new UpstreamCluster(ClusterKind.Outbound, last > 8 ? name[(last + 1)..] : string.Empty);
        }

        if (name.StartsWith("inbound|", StringComparison.Ordinal))
        {
            return new UpstreamCluster(ClusterKind.Inbound, string.Empty);
        }

        return name switch
        {
            "PassthroughCluster" => new UpstreamCluster(ClusterKind.Passthrough, string.Empty),
            "BlackHoleCluster" => new UpstreamCluster(ClusterKind.BlackHole, string.Empty),
            "InboundPassthroughClusterIpv4" or "InboundPassthroughClusterIpv6" or "InboundPassthroughCluster"
                => new UpstreamCluster(ClusterKind.InboundPassthrough, string.Empty),
            _ => new UpstreamCluster(ClusterKind.Other, string.Empty),
        };
    }

    /// <summary>
    /// A Kubernetes service fqdn (<c>name.namespace.svc.domain</c>) split into namespace and
    /// name; false for other hosts (ServiceEntry hosts such as <c>api.example.com</c>).
    /// </summary>
    public static bool TrySplitServiceFqdn(string host, out string ns, out string name)
    {
        ns = name = string.Empty;
        var parts = host.Split('.');
        if (parts.Length >= 3 && parts[2] == "svc" && parts[0].Length > 0 && parts[1].Length > 0)
        {
            name = parts[0];
            ns = parts[1];
            return true;
        }

        return false;
    }
}
