namespace AlsAnalyzer.Core.Model;

/// <summary>What a topology node stands for.</summary>
internal enum NodeKind : byte
{
    /// <summary>A mesh workload named by its canonical service in its namespace.</summary>
    Service,

    /// <summary>A mesh workload seen as a gateway (ingress/egress/waypoint proxy).</summary>
    Gateway,

    /// <summary>A caller or destination that could not be identified.</summary>
    Unknown,

    /// <summary>A destination outside the mesh registry, named by host or IP.</summary>
    External,
}
