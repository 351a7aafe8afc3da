using System.Runtime.CompilerServices;
using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Peers;

/// <summary>A peer workload's identity, whichever encoding it arrived in.</summary>
internal sealed record PeerInfo
{
    // A box, so that a peer shared by ingest threads publishes its node in one reference write.
    private StrongBox<NodeRef>? _node;
    private WorkloadId? _workloadId;

    public PeerInfo()
    {
    }

    // A copy ('with') gets its own node: the cached one may not be its node any more.
    private PeerInfo(PeerInfo original)
    {
        Namespace = original.Namespace;
        Service = original.Service;
        Workload = original.Workload;
        Instance = original.Instance;
        Version = original.Version;
        Cluster = original.Cluster;
        IsGateway = original.IsGateway;
    }

    public string Namespace { get; init; } = string.Empty;

    /// <summary>Canonical service: peer <c>service</c>, else canonical-name label, else app, else workload.</summary>
    public string Service { get; init; } = string.Empty;

    public string Workload { get; init; } = string.Empty;

    /// <summary>Pod (instance) name.</summary>
    public string Instance { get; init; } = string.Empty;

    public string Version { get; init; } = string.Empty;

    public string Cluster { get; init; } = string.Empty;

    /// <summary>True when the peer's labels mark it as an Istio or Gateway API gateway.</summary>
    public bool IsGateway { get; init; }

    /// <summary>A peer identifies a node only with a namespace and a service name.</summary>
    public bool IsIdentified => Namespace.Length > 0 && Service.Length > 0;

    /// <summary>The node this peer is (made once: peers are cached and named by every entry).</summary>
    public NodeRef ToNode() => (_node ??= new StrongBox<NodeRef>(IsIdentified ? NodeRef.Service(Namespace, Service) : NodeRef.Unknown)).Value;

    /// <summary>The peer's workload, version and cluster as one shared value (found once: peers are cached), the same object as other peers' of that workload (<see cref="WorkloadId.Shared"/>).</summary>
    public WorkloadId ToWorkloadId() => _workloadId ??= WorkloadId.Shared(Workload, Version, Cluster);

    public bool Equals(PeerInfo? other) =>
        other is not null
        && Namespace == other.Namespace
        && Service == other.Service
        && Workload == other.Workload
        && Instance == other.Instance
        && Version == other.Version
        && Cluster == other.Cluster
        && IsGateway == other.IsGateway;

    public override int GetHashCode() => HashCode.Combine(Namespace, Service, Workload, Instance, Version, Cluster, IsGateway);

    internal static bool IsGatewayLabel(string key, string value) =>
        (key == "istio" && value is "ingressgateway" or "egressgateway")
        || key == "gateway.networking.k8s.io/gateway-name"
        || key == "gateway.istio.io/managed";

    internal static string ServiceFrom(string service, string canonicalLabel, string appKubernetesName, string app, string workload) =>
        CanonicalName.FirstOf(service, canonicalLabel, appKubernetesName, app, workload);
}
