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
}
