using AlsAnalyzer.Core.Kubernetes;

namespace AlsAnalyzer.Core.Tests.Kubernetes;

/// <summary>Arrange helpers of the service name template tests: a pod, a service and a versioned template.</summary>
internal static class ServiceNameTemplateArrange
{
    public const string AppName = "app.kubernetes.io/name";
    public const string Versioned = "${pod.metadata.labels['service.istio.io/canonical-name'], pod.metadata.labels.app}-${pod.metadata.labels.version}";

    public static readonly ServiceRecord ReviewsService = new()
    {
        Name = "reviews-svc",
        Namespace = "bookinfo",
        Labels = new Dictionary<string, string> { ["tier"] = "backend", ["app.kubernetes.io/part-of"] = "bookinfo" },
        Annotations = new Dictionary<string, string> { ["owner"] = "team-a", ["example.com/display"] = "Reviews" },
    };

    public static PodRecord Pod(Dictionary<string, string> labels) => new()
    {
        Name = "reviews-v1-7d9f-abcde",
        Namespace = "bookinfo",
        Labels = labels,
        Workload = "reviews-v1",
        WorkloadKind = "Deployment",
    };

    public static PodRecord FullPod() => Pod(new Dictionary<string, string>
    {
        ["app"] = "reviews",
        ["version"] = "v1",
        [AppName] = "reviews-k8s",
        ["topology.kubernetes.io/zone"] = "zone-a",
    }) with
    {
        ServiceAccount = "bookinfo-reviews",
        NodeName = "node-3",
        Annotations = new Dictionary<string, string> { ["team"] = "payments", ["example.com/service-name"] = "reviews-annotated" },
    };
}
