namespace AlsAnalyzer.Core.Identity;

/// <summary>The reporting proxy's role, from the prefix of <c>node.id</c>.</summary>
internal enum ProxyRole : byte
{
    /// <summary><c>sidecar~</c>: one workload; direction from the upstream cluster.</summary>
    Sidecar,

    /// <summary><c>router~</c>: an ingress/egress gateway; one entry yields both sides.</summary>
    Router,

    /// <summary><c>waypoint~</c>: an ambient waypoint; one entry yields both sides.</summary>
    Waypoint,

    /// <summary>A plain Envoy without Istio's node id; treated like a router.</summary>
    Proxy,
}
