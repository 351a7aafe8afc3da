using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Identity;

/// <summary>
/// Who reports on a stream: computed once from the stream's identifier, never per entry.
/// </summary>
internal sealed record StreamIdentity
{
    public required ProxyRole Role { get; init; }

    /// <summary>The reporter as a topology node (its canonical service in its namespace).</summary>
    public required NodeRef Node { get; init; }

    /// <summary>
    /// True when the node metadata's labels name the canonical service (canonical-name,
    /// <c>app.kubernetes.io/name</c> or <c>app</c>); otherwise <see cref="Node"/> is a guess
    /// from the workload or pod name or <c>node.cluster</c>, which an address lookup beats.
    /// </summary>
    public bool NamedByLabels { get; init; }

    /// <summary>The pod (or VM) name; empty when unknown.</summary>
    public string Instance { get; init; } = string.Empty;

    public string Workload { get; init; } = string.Empty;

    public string Version { get; init; } = string.Empty;

    public string Cluster { get; init; } = string.Empty;

    /// <summary>The proxy's own IPs (<c>INSTANCE_IPS</c> plus the IP in <c>node.id</c>); an array, walked per entry without an enumerator.</summary>
    public string[] InstanceIps { get; init; } = [];

    public string LogName { get; init; } = string.Empty;

    /// <summary>The reporter's workload, version and cluster as one shared value, made once per stream (null: made on use).</summary>
    public WorkloadId? WorkloadId { get; init; }

    /// <summary>True when the role makes one entry produce a server half and a client half.</summary>
    public bool ReportsBothSides => Role != ProxyRole.Sidecar;
}
