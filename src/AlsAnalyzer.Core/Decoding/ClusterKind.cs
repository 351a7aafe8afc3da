namespace AlsAnalyzer.Core.Decoding;

internal enum ClusterKind : byte
{
    /// <summary>Empty or not an Istio cluster name (plain Envoy clusters, direct responses).</summary>
    Other,

    /// <summary><c>inbound|port||</c>.</summary>
    Inbound,

    /// <summary><c>outbound|port|subset|fqdn</c>.</summary>
    Outbound,

    /// <summary><c>PassthroughCluster</c>: outbound to a host outside the mesh registry.</summary>
    Passthrough,

    /// <summary><c>BlackHoleCluster</c>: outbound traffic blocked by the mesh.</summary>
    BlackHole,

    /// <summary><c>InboundPassthroughClusterIpv4/Ipv6</c>: inbound to a port without a service.</summary>
    InboundPassthrough,
}
