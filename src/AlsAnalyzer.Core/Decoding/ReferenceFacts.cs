using AlsAnalyzer.Core.Peers;
using Envoy.Data.Accesslog.V3;
using Google.Protobuf.WellKnownTypes;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// Fills <see cref="EntryFacts"/> from the generated objects: the straightforward decoder,
/// and the reference the fast decoder is tested against.
/// </summary>
internal static class ReferenceFacts
{
    public static EntryFacts Http(HTTPAccessLogEntry entry, bool decodePeers, ClusterNameCache? clusters = null, EndpointGrouping? grouping = null)
    {
        var facts = Common(entry.CommonProperties, decodePeers, clusters);
        if (!facts.HasCommon)
        {
            return facts;
        }

        var common = entry.CommonProperties;
        var request = entry.Request;
        var response = entry.Response;
        facts.Endpoint = Endpoint(request, grouping ?? EndpointGrouping.Default);
        facts.AuthorityHost = DecodeLimits.Fold(EntryFields.HostOf(request?.Authority ?? string.Empty));
        facts.StatusCode = (int)(response?.ResponseCode ?? 0);
        facts.IsGrpc = ProtocolDetector.IsGrpc(entry);
        facts.GrpcStatus = facts.IsGrpc ? ProtocolDetector.GrpcStatus(entry) ?? -1 : -1;
        facts.RequestBytes = common.DownstreamWireBytesReceived > 0
            ? (long)common.DownstreamWireBytesReceived
            : (long)((request?.RequestHeadersBytes ?? 0) + (request?.RequestBodyBytes ?? 0));
        facts.ResponseBytes = common.DownstreamWireBytesSent > 0
            ? (long)common.DownstreamWireBytesSent
            : (long)((response?.ResponseHeadersBytes ?? 0) + (response?.ResponseBodyBytes ?? 0));
        return facts;
    }

    public static EntryFacts Tcp(TCPAccessLogEntry entry, bool decodePeers, ClusterNameCache? clusters = null)
    {
        var facts = Common(entry.CommonProperties, decodePeers, clusters);
        if (!facts.HasCommon)
        {
            return facts;
        }

        var common = entry.CommonProperties;
        facts.TcpReceivedBytes = entry.ConnectionProperties?.ReceivedBytes ?? 0;
        facts.TcpSentBytes = entry.ConnectionProperties?.SentBytes ?? 0;
        facts.IsFinalTcp = EntryFields.IsFinalTcpEntry(common.AccessLogType, common.IntermediateLogEntry);
        if (common.StreamId.Length > 0)
        {
            facts.ConnectionKey = ConnectionKey.ForStreamId(System.Text.Encoding.UTF8.GetBytes(common.StreamId));
        }
        else if (common.DownstreamRemoteAddress?.SocketAddress is { } remote && common.StartTime is { } start)
        {
            facts.ConnectionKey = ConnectionKey.ForPeer(System.Text.Encoding.UTF8.GetBytes(remote.Address), remote.PortValue, start.Seconds, start.Nanos);
        }

        return facts;
    }

    /// <summary><c>METHOD /path</c> without query string or fragment; empty without a path.</summary>
    internal static string Endpoint(HTTPRequestProperties? request, EndpointGrouping grouping)
    {
        if (request is null || request.Path.Length == 0)
        {
            return string.Empty;
        }

        var path = request.Path;
        var q = path.IndexOfAny(['?', '#']);
        if (q >= 0)
        {
            path = path[..q];
        }

        return EntryFields.MethodName((int)request.RequestMethod) + " " + grouping.Group(path);
    }

    private static EntryFacts Common(AccessLogCommon? common, bool decodePeers, ClusterNameCache? clusters)
    {
        var facts = EntryFacts.Empty();
        if (common is null)
        {
            return facts;
        }

        facts.HasCommon = true;
        facts.HasStart = common.StartTime is not null;
        facts.StartSeconds = common.StartTime?.Seconds ?? 0;
        facts.StartNanos = common.StartTime?.Nanos ?? 0;
        facts.HasDuration = common.Duration is not null;
        facts.DurationSeconds = common.Duration?.Seconds ?? 0;
        facts.LatencyMicros = Micros(common.TimeToLastDownstreamTxByte ?? common.Duration);
        facts.UpstreamCluster = common.UpstreamCluster;
        facts.Cluster = clusters?.Parse(common.UpstreamCluster) ?? ClusterNames.Create(common.UpstreamCluster);
        facts.Flags = ResponseFlagSet.From(common.ResponseFlags);
        facts.DownstreamDirectRemoteIp = IpText.FromString(AddressText.Ip(common.DownstreamDirectRemoteAddress));
        facts.DownstreamRemoteIp = IpText.FromString(AddressText.Ip(common.DownstreamRemoteAddress));
        facts.DownstreamLocalIp = IpText.FromString(AddressText.Ip(common.DownstreamLocalAddress));
        facts.UpstreamRemoteIp = IpText.FromString(AddressText.Ip(common.UpstreamRemoteAddress));
        facts.HasUpstreamRemote = common.UpstreamRemoteAddress is not null;
        if (common.TlsProperties is { } tls)
        {
            facts.HasTls = true;
            facts.HasLocalCertificate = tls.LocalCertificateProperties is not null;
            foreach (var san in tls.LocalCertificateProperties?.SubjectAltName ?? [])
            {
                if (san.SanCase == TLSProperties.Types.CertificateProperties.Types.SubjectAltName.SanOneofCase.Uri
                    && facts.LocalSpiffe.Length == 0
                    && san.Uri.StartsWith("spiffe://", StringComparison.Ordinal))
                {
                    facts.LocalSpiffe = san.Uri;
                }
            }

            foreach (var san in tls.PeerCertificateProperties?.SubjectAltName ?? [])
            {
                if (san.SanCase == TLSProperties.Types.CertificateProperties.Types.SubjectAltName.SanOneofCase.Uri && san.Uri.Length > 0)
                {
                    facts.PeerHasUriSan = true;
                    if (facts.PeerSpiffe.Length == 0 && san.Uri.StartsWith("spiffe://", StringComparison.Ordinal))
                    {
                        facts.PeerSpiffe = DecodeLimits.Fold(san.Uri);
                    }
                }
            }
        }

        if (decodePeers)
        {
            facts.UpstreamPeerStatus = PeerMetadataReader.TryRead(common.FilterStateObjects, PeerPosition.Upstream, out facts.UpstreamPeer);
            facts.DownstreamPeerStatus = PeerMetadataReader.TryRead(common.FilterStateObjects, PeerPosition.Downstream, out facts.DownstreamPeer);
        }

        return facts;
    }

    /// <summary>A whole Duration in microseconds (seconds and nanos), or -1 when absent.</summary>
    internal static long Micros(Duration? d) => d is null ? -1 : EntryFields.Micros(d.Seconds, d.Nanos);
}
