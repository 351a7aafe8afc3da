namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>The resources (URL plural names) the fake API server serves.</summary>
public static class FakeKubeResources
{
    /// <summary>core/v1 pods (namespaced).</summary>
    public const string Pods = "pods";

    /// <summary>core/v1 services (namespaced).</summary>
    public const string Services = "services";

    /// <summary>core/v1 nodes (cluster-scoped).</summary>
    public const string Nodes = "nodes";

    /// <summary>discovery.k8s.io/v1 endpointslices (namespaced).</summary>
    public const string EndpointSlices = "endpointslices";

    /// <summary>apps/v1 replicasets (namespaced).</summary>
    public const string ReplicaSets = "replicasets";

    /// <summary>networking.istio.io/v1 serviceentries (namespaced; a custom resource that <see cref="FakeKubeApiServer.Uninstall"/> can make absent).</summary>
    public const string ServiceEntries = "serviceentries";
}
