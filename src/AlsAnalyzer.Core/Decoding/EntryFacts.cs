using AlsAnalyzer.Core.Peers;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// What the analysis reads from one access log entry, decoder-neutral: the reference
/// decoder fills it from the generated objects, the fast decoder straight from the payload
/// bytes with interned strings and cached peer metadata. Both must fill it identically
/// (a property test holds them to it), so there is one analysis.
/// </summary>
internal struct EntryFacts
{
    /// <summary>Facts with every string empty and the "absent" markers set: where both decoders start.</summary>
    public static EntryFacts Empty() => new()
    {
        UpstreamCluster = string.Empty,
        Cluster = ClusterNames.Empty,
        PeerSpiffe = string.Empty,
        LocalSpiffe = string.Empty,
        Endpoint = string.Empty,
        AuthorityHost = string.Empty,
        GrpcStatus = -1,
        LatencyMicros = -1,
    };

    public bool HasCommon;
    public bool HasStart;
    public long StartSeconds;
    public int StartNanos;
    public bool HasDuration;
    public long DurationSeconds;

    /// <summary><c>time_to_last_downstream_tx_byte</c>, else <c>duration</c>, in microseconds; -1 when neither.</summary>
    public long LatencyMicros;

    public string UpstreamCluster;

    /// <summary><see cref="UpstreamCluster"/>, parsed.</summary>
    public ParsedCluster Cluster;
    public uint Flags;
    public IpText DownstreamDirectRemoteIp;
    public IpText DownstreamRemoteIp;
    public IpText DownstreamLocalIp;
    public IpText UpstreamRemoteIp;

    /// <summary>True when <c>upstream_remote_address</c> is present at all (even without an IP).</summary>
    public bool HasUpstreamRemote;

    public bool HasTls;
    public bool HasLocalCertificate;
    public bool PeerHasUriSan;

    /// <summary>The peer certificate's first <c>spiffe://</c> URI SAN, or empty.</summary>
    public string PeerSpiffe;

    /// <summary>The local (own) certificate's first <c>spiffe://</c> URI SAN, or empty.</summary>
    public string LocalSpiffe;

    public PeerDecodeStatus UpstreamPeerStatus;
    public PeerInfo? UpstreamPeer;
    public PeerDecodeStatus DownstreamPeerStatus;
    public PeerInfo? DownstreamPeer;

    // HTTP.
    public string Endpoint;
    public string AuthorityHost;
    public int StatusCode;
    public bool IsGrpc;

    /// <summary>gRPC status from trailers (or headers), -1 when absent.</summary>
    public int GrpcStatus;

    public long RequestBytes;
    public long ResponseBytes;

    // TCP.
    public ulong TcpReceivedBytes;
    public ulong TcpSentBytes;
    public bool IsFinalTcp;

    /// <summary>Identifies the connection across its entries (a hash of the stream id, else of peer address and start); 0 when nothing does.</summary>
    public ulong ConnectionKey;
}
