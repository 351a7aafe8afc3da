namespace AlsAnalyzer.Benchmarks.Corpus;

/// <summary>One pod (an endpoint of a service) with its Istio sidecar.</summary>
internal sealed class MeshPod
{
    public required MeshService Service { get; init; }

    public required string Version { get; init; }

    /// <summary>The Deployment, <c>svcN-vX</c>.</summary>
    public required string Workload { get; init; }

    public required string Name { get; init; }

    public required string Ip { get; init; }

    public required string PodTemplateHash { get; init; }

    public string Namespace => Service.Namespace;

    /// <summary>The pod's labels, as Istio copies them into node and peer metadata.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Labels()
    {
        var labels = new List<KeyValuePair<string, string>>
        {
            new("app", Service.Name),
            new("version", Version),
            new("pod-template-hash", PodTemplateHash),
            new("security.istio.io/tlsMode", "istio"),
            new("service.istio.io/canonical-name", Service.Name),
            new("service.istio.io/canonical-revision", Version),
        };
        if (Service.IsGateway)
        {
            labels.Add(new("istio", "ingressgateway"));
        }

        return labels;
    }
}
