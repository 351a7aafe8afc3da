using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.IstioMetrics;

/// <summary>Istio's <c>reporter</c> label.</summary>
internal enum IstioReporter : byte
{
    Destination,
    Source,
    Waypoint,
}

/// <summary>Istio's <c>connection_security_policy</c> label.</summary>
internal enum SecurityPolicy : byte
{
    Unknown,
    None,
    MutualTls,
}

/// <summary>
/// What one Istio series is made of, as the ingest path has it: nodes, shared workload values and
/// interned strings, no text built. Label values are rendered from it once per distinct key, by
/// the collector (<see cref="IstioSeriesStore"/>). The hash uses only precomputed and integer parts.
/// </summary>
internal readonly struct IstioKey : IEquatable<IstioKey>
{
    public readonly NodeRef Source;
    public readonly NodeRef Destination;
    public readonly WorkloadId? SourceWorkload;
    public readonly WorkloadId? DestinationWorkload;
    public readonly string SourcePrincipal;
    public readonly string DestinationPrincipal;
    public readonly string DestinationHost;
    public readonly int ResponseCode;
    public readonly int GrpcStatus;
    public readonly uint Flags;
    public readonly IstioReporter Reporter;
    public readonly TrafficProtocol Protocol;
    public readonly SecurityPolicy Security;

    public IstioKey(
        IstioReporter reporter,
        TrafficProtocol protocol,
        NodeRef source,
        WorkloadId? sourceWorkload,
        string sourcePrincipal,
        NodeRef destination,
        WorkloadId? destinationWorkload,
        string destinationPrincipal,
        string destinationHost,
        int responseCode,
        int grpcStatus,
        uint flags,
        SecurityPolicy security)
    {
        Reporter = reporter;
        Protocol = protocol;
        Source = source;
        SourceWorkload = sourceWorkload;
        SourcePrincipal = sourcePrincipal ?? string.Empty;
        Destination = destination;
        DestinationWorkload = destinationWorkload;
        DestinationPrincipal = destinationPrincipal ?? string.Empty;
        DestinationHost = destinationHost ?? string.Empty;
        ResponseCode = responseCode;
        GrpcStatus = grpcStatus;
        Flags = flags;
        Security = security;
    }

    public bool IsTcp => Protocol == TrafficProtocol.Tcp;

    public bool Equals(IstioKey other) =>
        ResponseCode == other.ResponseCode
        && Flags == other.Flags
        && GrpcStatus == other.GrpcStatus
        && Reporter == other.Reporter
        && Protocol == other.Protocol
        && Security == other.Security
        && Source.Equals(other.Source)
        && Destination.Equals(other.Destination)
        && Same(SourceWorkload, other.SourceWorkload)
        && Same(DestinationWorkload, other.DestinationWorkload)
        && string.Equals(SourcePrincipal, other.SourcePrincipal, StringComparison.Ordinal)
        && string.Equals(DestinationPrincipal, other.DestinationPrincipal, StringComparison.Ordinal)
        && string.Equals(DestinationHost, other.DestinationHost, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is IstioKey other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(
        Source.GetHashCode(),
        Destination.GetHashCode(),
        ResponseCode,
        Flags,
        GrpcStatus,
        ((int)Reporter << 16) | ((int)Protocol << 8) | (int)Security);

    // Shared values compare by reference first; equal values made twice still match.
    // The pods of a workload hold equal workload values in their own objects, whose names are
    // interned (PeerCache, StreamIdentityParser): compared by reference first, by value last.
    internal static bool Same(WorkloadId? a, WorkloadId? b) =>
        ReferenceEquals(a, b)
        || (a is not null && b is not null
            && ((ReferenceEquals(a.Workload, b.Workload) && ReferenceEquals(a.Version, b.Version) && ReferenceEquals(a.Cluster, b.Cluster)) || a.Equals(b)));
}
