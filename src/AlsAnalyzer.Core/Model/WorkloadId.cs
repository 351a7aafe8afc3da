namespace AlsAnalyzer.Core.Model;

/// <summary>
/// What names a workload beyond its node (namespace and canonical service): its workload
/// (deployment) name, version (canonical revision, else the version label) and cluster. Empty
/// strings when unknown. Made once per peer and per stream, then shared by reference.
/// </summary>
internal sealed record WorkloadId(string Workload, string Version, string Cluster)
{
    public static readonly WorkloadId Unknown = new(string.Empty, string.Empty, string.Empty);

    // A direct-mapped table of recent workloads, so that the pods (peers, streams) of one
    // workload hand the aggregation one object: a per-entry compare of two records' workloads
    // is then one reference compare instead of reading both objects. Bounded whatever the
    // input (a flood of distinct workloads only replaces slots), lock-free (a race makes at
    // worst one more equal object), and only an optimisation: workloads compare by value.
    private const int SharedSlots = 4096;
    private static readonly WorkloadId?[] SharedTable = new WorkloadId?[SharedSlots];

    /// <summary>
    /// A workload equal to (<paramref name="workload"/>, <paramref name="version"/>,
    /// <paramref name="cluster"/>), the same object as the last caller's with these values
    /// when it is still in the table. Called once per peer or stream, never per entry.
    /// </summary>
    public static WorkloadId Shared(string workload, string version, string cluster)
    {
        ref var slot = ref SharedTable[(uint)HashCode.Combine(workload, version, cluster) % SharedSlots];
        var known = Volatile.Read(ref slot);
        if (known is not null && known.Workload == workload && known.Version == version && known.Cluster == cluster)
        {
            return known;
        }

        var made = new WorkloadId(workload, version, cluster);
        Volatile.Write(ref slot, made);
        return made;
    }
}
