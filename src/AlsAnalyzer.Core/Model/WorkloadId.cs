namespace AlsAnalyzer.Core.Model;

/// <summary>
/// What names a workload beyond its node (namespace and canonical service): its workload
/// (deployment) name, version (canonical revision, else the version label) and cluster. Empty
/// strings when unknown. Made once per peer and per stream, then shared by reference.
/// </summary>
internal sealed record WorkloadId(string Workload, string Version, string Cluster)
{
    public static readonly WorkloadId Unknown = new(string.Empty, string.Empty, string.Empty);
}
