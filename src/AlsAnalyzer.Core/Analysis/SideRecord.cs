using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Analysis;

/// <summary>
/// One side of one call as one proxy reported it: the unit the aggregation counts.
/// A sidecar entry yields one; a gateway or waypoint entry yields a server and a client half.
/// </summary>
internal struct SideRecord
{
    public long Minute;
    public ReporterSide Reporter;
    public TrafficProtocol Protocol;
    public NodeRef Source;
    public NodeRef Target;
    public string SourceInstance;
    public string TargetInstance;
    public bool SourceIsGateway;
    public bool TargetIsGateway;

    /// <summary><c>METHOD /path</c> without the query string; empty for TCP.</summary>
    public string Endpoint;

    /// <summary>HTTP status; 0 when there was no response.</summary>
    public int StatusCode;

    public uint Flags;
    public bool Error;

    /// <summary>Latency in microseconds, or -1 when the entry carries none.</summary>
    public long LatencyMicros;

    /// <summary>Bytes the source sent (request, or TCP bytes towards the destination).</summary>
    public long BytesSent;

    /// <summary>Bytes the source received (response, or TCP bytes back from the destination).</summary>
    public long BytesReceived;

    /// <summary>Server side only: whether the TLS properties were seen at all, and whether mutual.</summary>
    public bool TlsKnown;
    public bool Mtls;

    /// <summary>TCP: connections this record closes (final entries count 1, periodic ones 0).</summary>
    public int Connections;

    /// <summary>TCP: connections first seen with this record.</summary>
    public int ConnectionsOpened;

    /// <summary>The mesh refused the call (<c>BlackHoleCluster</c>).</summary>
    public bool Blocked;

    /// <summary>The call bypassed the mesh's service registry (passthrough clusters).</summary>
    public bool Passthrough;

    // What Istio's standard metrics label a call with, beyond the topology's nodes. References
    // to cached objects and interned strings: copying them costs no allocation.

    /// <summary>Which Istio series this record counts under, if any (one per entry).</summary>
    public IstioReport Istio;

    /// <summary>The workloads behind <see cref="Source"/> and <see cref="Target"/>, when known.</summary>
    public WorkloadId? SourceWorkload;
    public WorkloadId? TargetWorkload;

    /// <summary>Server side: the caller's and the server's SPIFFE identities from the TLS properties; empty when unknown.</summary>
    public string SourcePrincipal;
    public string TargetPrincipal;

    /// <summary>Client side: the service host the upstream cluster names (<c>outbound|port|subset|host</c>); empty otherwise.</summary>
    public string DestinationHost;

    /// <summary>gRPC status, -1 when absent.</summary>
    public int GrpcStatus;

    /// <summary>A waypoint's client half: the caller its server half saw (Istio's waypoint series run from caller to destination).</summary>
    public NodeRef Caller;
    public WorkloadId? CallerWorkload;
    public string CallerPrincipal;
}

/// <summary>Which of Istio's reporters a side record counts as (<c>reporter</c> label).</summary>
internal enum IstioReport : byte
{
    /// <summary>Not counted: the other half of the same entry is.</summary>
    None,

    /// <summary>A sidecar's outbound call, or a gateway's upstream half.</summary>
    Source,

    /// <summary>A sidecar's inbound call.</summary>
    Destination,

    /// <summary>A waypoint's upstream half; the source labels come from <see cref="SideRecord.Caller"/>.</summary>
    Waypoint,

    /// <summary>A gateway that answered by itself: counted from its server half, destination unknown.</summary>
    SourceNoUpstream,

    /// <summary>A waypoint that answered by itself: counted from its server half, destination unknown.</summary>
    WaypointNoUpstream,
}
