namespace AlsAnalyzer.Core.Kubernetes;

// The slices of Kubernetes objects the k8s-mesh analysis needs, independent of the client
// library: the watch maps API objects to these, the index and the naming rule read them.

/// <summary>A pod. <see cref="Workload"/> is its owner resolved to the controller a person names
/// (a Deployment through its ReplicaSet, a StatefulSet, DaemonSet, Job or CronJob), else the pod.</summary>
internal sealed record PodRecord
{
    public required string Name { get; init; }

    public required string Namespace { get; init; }

    /// <summary><c>status.podIPs</c> (or <c>status.podIP</c>).</summary>
    public IReadOnlyList<string> Ips { get; init; } = [];

    /// <summary><c>status.phase</c>: Pending, Running, Succeeded, Failed, Unknown.</summary>
    public string Phase { get; init; } = string.Empty;

    public bool HostNetwork { get; init; }

    public string NodeName { get; init; } = string.Empty;

    public string ServiceAccount { get; init; } = string.Empty;

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();

    public string WorkloadKind { get; init; } = string.Empty;

    public string Workload { get; init; } = string.Empty;

    /// <summary><c>metadata.creationTimestamp</c>, to prefer the newest of pods sharing an IP.</summary>
    public DateTimeOffset Created { get; init; }

    public bool IsTerminated => Phase is "Succeeded" or "Failed";
}

/// <summary>A service.</summary>
internal sealed record ServiceRecord
{
    public required string Name { get; init; }

    public required string Namespace { get; init; }

    /// <summary><c>spec.selector</c>; empty for services without selector (their EndpointSlices still name pods).</summary>
    public IReadOnlyDictionary<string, string> Selector { get; init; } = new Dictionary<string, string>();

    /// <summary><c>spec.clusterIPs</c> (without <c>None</c>).</summary>
    public IReadOnlyList<string> ClusterIps { get; init; } = [];

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();
}

/// <summary>An EndpointSlice (<c>discovery.k8s.io/v1</c>) reduced to what links a service to pods.</summary>
internal sealed record EndpointSliceRecord
{
    public required string Name { get; init; }

    public required string Namespace { get; init; }

    /// <summary>The <c>kubernetes.io/service-name</c> label.</summary>
    public required string ServiceName { get; init; }

    public IReadOnlyList<SliceEndpoint> Endpoints { get; init; } = [];
}

/// <summary>One endpoint of a slice. Not-ready endpoints count: a request can reach a pod that is not ready yet.</summary>
internal sealed record SliceEndpoint(IReadOnlyList<string> Addresses, bool Ready, string? PodName, string? PodNamespace);

/// <summary>A node and its addresses (InternalIP, ExternalIP).</summary>
internal sealed record NodeRecord
{
    public required string Name { get; init; }

    public IReadOnlyList<string> Addresses { get; init; } = [];
}

/// <summary>An Istio <c>ServiceEntry</c> (<c>networking.istio.io</c>): a service outside the mesh registry, by host and address.</summary>
internal sealed record ServiceEntryRecord
{
    public required string Name { get; init; }

    public required string Namespace { get; init; }

    /// <summary><c>spec.hosts</c>: DNS names, possibly with a leading <c>*.</c> wildcard.</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];

    /// <summary><c>spec.addresses</c> (IPs or CIDR ranges) and <c>spec.endpoints[].address</c> that are IPs.</summary>
    public IReadOnlyList<string> Addresses { get; init; } = [];
}
