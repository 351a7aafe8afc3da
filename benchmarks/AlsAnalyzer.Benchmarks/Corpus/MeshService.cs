namespace AlsAnalyzer.Benchmarks.Corpus;

/// <summary>One Kubernetes service of the synthetic mesh, with its pods, endpoints and the services it calls.</summary>
internal sealed class MeshService
{
    public required int Index { get; init; }

    public required string Name { get; init; }

    public required string Namespace { get; init; }

    public required string ClusterIp { get; init; }

    /// <summary>gRPC services are called with HTTP/2 POSTs to <c>/pkg.Service/Method</c>.</summary>
    public required bool Grpc { get; init; }

    /// <summary>The ingress gateway: a caller only, never a reporter of the corpus.</summary>
    public bool IsGateway { get; init; }

    public string ServiceAccount => IsGateway ? Name + "-service-account" : Name;

    public string Fqdn => $"{Name}.{Namespace}.svc.cluster.local";

    /// <summary>Method and path templates; <c>{id}</c> is replaced by a small number.</summary>
    public List<(Envoy.Config.Core.V3.RequestMethod Method, string Path)> Endpoints { get; } = [];

    public List<MeshPod> Pods { get; } = [];

    public List<MeshService> Callees { get; } = [];

    public List<MeshService> Callers { get; } = [];
}
