namespace AlsAnalyzer.Core.Model;

/// <summary>
/// Identity of a topology node. Mesh workloads are identified by namespace and name only:
/// whether a workload is a gateway is a property learnt from its reports (see
/// <see cref="Aggregation.MinuteBucket.Gateways"/>), so that the ingress gateway seen as a
/// peer by a sidecar and the same gateway reporting for itself are one node.
/// The hash is computed once, when the node is made: nodes are made where their source is
/// cached (a peer, a stream's identity, a cluster name) and then hashed by every aggregation
/// lookup of every entry.
/// </summary>
internal readonly record struct NodeRef
{
    private readonly int _hash;

    public NodeRef(NodeKind kind, string @namespace, string name)
    {
        Kind = kind;
        Namespace = @namespace;
        Name = name;
        _hash = HashCode.Combine(kind, @namespace, name);
    }

    public NodeKind Kind { get; }

    public string Namespace { get; }

    public string Name { get; }

    public static readonly NodeRef Unknown = new(NodeKind.Unknown, string.Empty, "unknown");

    /// <summary>The node that absorbs series past the cardinality caps.</summary>
    public static readonly NodeRef Overflow = new(NodeKind.Unknown, string.Empty, "overflow");

    public bool IsUnknown => Kind == NodeKind.Unknown;

    public static NodeRef Service(string ns, string name) => new(NodeKind.Service, ns, name);

    public static NodeRef External(string host) => new(NodeKind.External, string.Empty, host);

    /// <summary>An external host that an Istio ServiceEntry in <paramref name="ns"/> registers.</summary>
    public static NodeRef External(string ns, string host) => new(NodeKind.External, ns, host);

    /// <summary>
    /// A caller known only by its SPIFFE identity: its namespace and service account, no workload.
    /// </summary>
    public static NodeRef ServiceAccount(string ns, string serviceAccount) => new(NodeKind.Unknown, ns, serviceAccount);

    /// <summary>
    /// Stable id used by the API: <c>ns/name</c>, <c>external:host</c>, <c>unknown</c>, and
    /// <c>unknown:ns/serviceaccount</c> for a caller known only by its SPIFFE identity.
    /// </summary>
    public string Id => Kind switch
    {
        NodeKind.External => "external:" + Name,
        NodeKind.Unknown => Namespace.Length > 0 ? "unknown:" + Namespace + "/" + Name : Name,
        _ => Namespace + "/" + Name,
    };

    public bool Equals(NodeRef other) =>
        _hash == other._hash && Kind == other.Kind && string.Equals(Namespace, other.Namespace, StringComparison.Ordinal) && string.Equals(Name, other.Name, StringComparison.Ordinal);

    public override int GetHashCode() => _hash;
}
