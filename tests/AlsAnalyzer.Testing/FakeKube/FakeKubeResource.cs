using AlsAnalyzer.Server.Kubernetes;
using k8s.Models;

namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>What the fake knows about one served resource: its URL, kind, scope and the shapes Go would print.</summary>
internal sealed class FakeKubeResource
{
    private static readonly Dictionary<string, string> MetadataFields = new(StringComparer.Ordinal)
    {
        ["metadata.name"] = string.Empty,
        ["metadata.namespace"] = string.Empty,
    };

    private FakeKubeResource(string plural, string group, string version, string kind, bool namespaced, Type objectType, string emptyBody, Dictionary<string, string>? fields = null)
    {
        Plural = plural;
        Group = group;
        Version = version;
        Kind = kind;
        Namespaced = namespaced;
        ObjectType = objectType;
        EmptyBody = emptyBody;
        var all = new Dictionary<string, string>(MetadataFields, StringComparer.Ordinal);
        foreach (var (field, zero) in fields ?? [])
        {
            all[field] = zero;
        }

        Fields = all;
    }

    /// <summary>Every resource the fake serves.</summary>
    public static IReadOnlyList<FakeKubeResource> All { get; } =
    [
        new(
            V1Pod.KubePluralName,
            V1Pod.KubeGroup,
            V1Pod.KubeApiVersion,
            V1Pod.KubeKind,
            namespaced: true,
            typeof(V1Pod),
            ""","spec":{"containers":null},"status":{}""",
            new(StringComparer.Ordinal)
            {
                ["spec.nodeName"] = string.Empty,
                ["spec.restartPolicy"] = string.Empty,
                ["spec.schedulerName"] = string.Empty,
                ["spec.serviceAccountName"] = string.Empty,
                ["spec.hostNetwork"] = "false",
                ["status.phase"] = string.Empty,
                ["status.podIP"] = string.Empty,
                ["status.nominatedNodeName"] = string.Empty,
            }),
        new(
            V1Service.KubePluralName,
            V1Service.KubeGroup,
            V1Service.KubeApiVersion,
            V1Service.KubeKind,
            namespaced: true,
            typeof(V1Service),
            ""","spec":{},"status":{"loadBalancer":{}}"""),
        new(
            V1Node.KubePluralName,
            V1Node.KubeGroup,
            V1Node.KubeApiVersion,
            V1Node.KubeKind,
            namespaced: false,
            typeof(V1Node),
            ""","spec":{},"status":{"daemonEndpoints":{"kubeletEndpoint":{"Port":0}},"nodeInfo":{"machineID":"","systemUUID":"","bootID":"","kernelVersion":"","osImage":"","containerRuntimeVersion":"","kubeletVersion":"","kubeProxyVersion":"","operatingSystem":"","architecture":""}}""",
            new(StringComparer.Ordinal) { ["spec.unschedulable"] = "false" }),
        new(
            V1EndpointSlice.KubePluralName,
            V1EndpointSlice.KubeGroup,
            V1EndpointSlice.KubeApiVersion,
            V1EndpointSlice.KubeKind,
            namespaced: true,
            typeof(V1EndpointSlice),
            ""","addressType":"","endpoints":null,"ports":null"""),
        new(
            V1ReplicaSet.KubePluralName,
            V1ReplicaSet.KubeGroup,
            V1ReplicaSet.KubeApiVersion,
            V1ReplicaSet.KubeKind,
            namespaced: true,
            typeof(V1ReplicaSet),
            ""","spec":{"selector":null,"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":null}}},"status":{"replicas":0}""",
            new(StringComparer.Ordinal) { ["status.replicas"] = "0" }),

        // A custom resource: the API server stores and prints it as sent, with no defaulted fields.
        new(
            IstioServiceEntry.Plural,
            IstioServiceEntry.Group,
            IstioServiceEntry.Version,
            IstioServiceEntry.KindName,
            namespaced: true,
            typeof(IstioServiceEntry),
            string.Empty),
    ];

    /// <summary>The URL plural, e.g. <c>endpointslices</c>.</summary>
    public string Plural { get; }

    /// <summary>The API group, empty for core.</summary>
    public string Group { get; }

    public string Version { get; }

    public string Kind { get; }

    public bool Namespaced { get; }

    public Type ObjectType { get; }

    /// <summary>The members (after metadata) Go prints for an empty object of this kind, as in a BOOKMARK.</summary>
    public string EmptyBody { get; }

    /// <summary>The field selector labels this resource supports, with the value Go prints for an unset field.</summary>
    public IReadOnlyDictionary<string, string> Fields { get; }

    /// <summary><c>v1</c> or <c>group/version</c>.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    public string ListKind => Kind + "List";

    /// <summary>How RBAC and error messages name the resource: <c>pods</c>, <c>endpointslices.discovery.k8s.io</c>.</summary>
    public string QualifiedName => Group.Length == 0 ? Plural : Plural + "." + Group;

    public static FakeKubeResource? Find(string group, string version, string plural) =>
        All.FirstOrDefault(r => r.Group == group && r.Version == version && r.Plural == plural);

    public static FakeKubeResource Named(string plural) =>
        All.FirstOrDefault(r => r.Plural == plural)
        ?? throw new ArgumentException($"the fake API server does not serve '{plural}'; it serves {string.Join(", ", All.Select(r => r.Plural))}", nameof(plural));

    public static FakeKubeResource ForType(Type type) =>
        All.FirstOrDefault(r => r.ObjectType == type)
        ?? throw new ArgumentException($"the fake API server does not serve objects of type {type.Name}", nameof(type));

    public override string ToString() => QualifiedName;
}
