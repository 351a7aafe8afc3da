namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// Istio's cluster name, parsed: <c>outbound|port|subset|fqdn</c>, <c>inbound|port||</c>, or
/// one of the passthrough/black-hole names. Port is 0 and Subset/Host empty where absent.
/// </summary>
internal readonly record struct UpstreamCluster(ClusterKind Kind, string Host, int Port = 0, string Subset = "")
{
    public static UpstreamCluster Parse(string name)
    {
        if (name.StartsWith("outbound|", StringComparison.Ordinal) || name.StartsWith("inbound|", StringComparison.Ordinal))
        {
            var parts = name.Split('|');
            var kind = parts[0] == "outbound" ? ClusterKind.Outbound : ClusterKind.Inbound;
            var port = parts.Length > 1 && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : 0;
            var subset = parts.Length > 2 ? parts[2] : string.Empty;

            // The fqdn is everything after the third '|'.
            var host = parts.Length > 3 ? string.Join('|', parts[3..]) : string.Empty;
            return new UpstreamCluster(kind, host, port, subset);
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
