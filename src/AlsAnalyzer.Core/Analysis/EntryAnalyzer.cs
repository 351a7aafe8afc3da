using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Peers;
using Envoy.Data.Accesslog.V3;
using Google.Protobuf.WellKnownTypes;

namespace AlsAnalyzer.Core.Analysis;

/// <summary>
/// Turns one access log entry into side records: decides which side the reporter is on,
/// identifies the peers through the analyzer chain, and measures the call.
/// </summary>
internal sealed class EntryAnalyzer(AnalysisSettings settings)
{
    public AnalysisSettings Settings { get; } = settings;

    public void AnalyzeHttp(StreamIdentity reporter, HTTPAccessLogEntry entry, in EntryClock clock, IngestTally tally, ISideSink sink)
    {
        tally.Received++;
        var common = entry.CommonProperties;
        if (common is null)
        {
            tally.Reject(RejectReason.MissingCommonProperties);
            return;
        }

        if (!TryMinute(common, useEndTime: false, clock, tally, out var minute))
        {
            return;
        }

        var record = new SideRecord
        {
            Minute = minute,
            Protocol = ProtocolDetector.IsGrpc(entry) ? TrafficProtocol.Grpc : TrafficProtocol.Http,
            Endpoint = Endpoint(entry.Request),
            StatusCode = (int)(entry.Response?.ResponseCode ?? 0),
            Flags = ResponseFlagSet.From(common.ResponseFlags),
            LatencyMicros = Micros(common.TimeToLastDownstreamTxByte ?? common.Duration),
            BytesSent = RequestBytes(common, entry.Request),
            BytesReceived = ResponseBytes(common, entry.Response),
        };
        var grpcStatus = record.Protocol == TrafficProtocol.Grpc ? ProtocolDetector.GrpcStatus(entry) : null;
        record.Error = record.StatusCode >= 500
            || record.StatusCode == 0
            || ResponseFlagSet.IsFailure(record.Flags)
            || grpcStatus is > 0;

        Emit(reporter, common, ref record, Settings.HttpAnalyzers, authority: entry.Request?.Authority ?? string.Empty, tally, sink);
    }

    /// <param name="connections">The stream's open-connection state; periodic entries add only their new bytes.</param>
    public void AnalyzeTcp(StreamIdentity reporter, TCPAccessLogEntry entry, in EntryClock clock, IngestTally tally, ISideSink sink, TcpConnectionTracker connections)
    {
        tally.Received++;
        var common = entry.CommonProperties;
        if (common is null)
        {
            tally.Reject(RejectReason.MissingCommonProperties);
            return;
        }

        // TCP entries are bucketed at their log time (start + duration): a connection open for
        // longer than the retention window must still count when it reports.
        if (!TryMinute(common, useEndTime: true, clock, tally, out var minute))
        {
            return;
        }

        var (sent, received, opened, closed) = connections.Observe(common, entry.ConnectionProperties);
        var record = new SideRecord
        {
            Minute = minute,
            Protocol = TrafficProtocol.Tcp,
            Endpoint = string.Empty,
            Flags = ResponseFlagSet.From(common.ResponseFlags),
            LatencyMicros = -1,
            BytesSent = (long)sent,
            BytesReceived = (long)received,
            ConnectionsOpened = opened ? 1 : 0,
            Connections = closed ? 1 : 0,
        };
        record.Error = ResponseFlagSet.IsFailure(record.Flags);

        Emit(reporter, common, ref record, Settings.TcpAnalyzers, authority: string.Empty, tally, sink);
    }

    internal static bool IsFinalTcpEntry(AccessLogCommon common) => common.AccessLogType switch
    {
        AccessLogType.TcpConnectionEnd => true,
        AccessLogType.NotSet => !common.IntermediateLogEntry,
        _ => false,
    };

    private static void Emit(
        StreamIdentity reporter,
        AccessLogCommon common,
        ref SideRecord record,
        IReadOnlyList<IPeerAnalyzer> chain,
        string authority,
        IngestTally tally,
        ISideSink sink)
    {
        var cluster = UpstreamCluster.Parse(common.UpstreamCluster);
        bool server, client;
        if (reporter.ReportsBothSides)
        {
            server = true;

            // A gateway that answered by itself (no route, direct response) called no upstream.
            client = common.UpstreamCluster.Length > 0 || common.UpstreamRemoteAddress is not null;
        }
        else
        {
            server = cluster.Kind switch
            {
                ClusterKind.Inbound or ClusterKind.InboundPassthrough => true,
                ClusterKind.Outbound or ClusterKind.Passthrough or ClusterKind.BlackHole => false,

                // No Istio cluster name: inbound when the request arrived on one of the proxy's own IPs.
                _ => IsOwnAddress(reporter, AddressText.Ip(common.DownstreamLocalAddress)),
            };
            client = !server;
        }

        var (self, selfInstance) = Reporter(reporter, chain);
        record.Passthrough = cluster.Kind is ClusterKind.Passthrough or ClusterKind.InboundPassthrough;
        var known = true;
        if (server)
        {
            var serverRecord = record;
            serverRecord.Reporter = ReporterSide.Server;
            var peer = Identify(chain, common, PeerPosition.Downstream, tally);
            serverRecord.Source = peer?.ToNode() ?? SpiffeCaller(common.TlsProperties);
            serverRecord.SourceInstance = peer?.Instance ?? string.Empty;
            serverRecord.SourceIsGateway = peer?.IsGateway ?? false;
            serverRecord.Target = self;
            serverRecord.TargetInstance = selfInstance;
            serverRecord.TargetIsGateway = reporter.ReportsBothSides;
            (serverRecord.TlsKnown, serverRecord.Mtls) = MutualTls(common.TlsProperties);
            known &= !serverRecord.Source.IsUnknown && !serverRecord.Target.IsUnknown;
            sink.Record(serverRecord);
        }

        if (client)
        {
            var clientRecord = record;
            clientRecord.Reporter = ReporterSide.Client;
            clientRecord.Source = self;
            clientRecord.SourceInstance = selfInstance;
            clientRecord.SourceIsGateway = reporter.ReportsBothSides;
            var peer = Identify(chain, common, PeerPosition.Upstream, tally);
            clientRecord.Target = peer?.ToNode() ?? DestinationFromCluster(reporter, common, cluster, authority);
            clientRecord.TargetInstance = peer?.Instance ?? string.Empty;
            clientRecord.TargetIsGateway = peer?.IsGateway ?? false;
            if (cluster.Kind == ClusterKind.BlackHole)
            {
                // The mesh refused the call: it failed whatever the response code says.
                clientRecord.Error = true;
                clientRecord.Blocked = true;
            }

            known &= !clientRecord.Source.IsUnknown && !clientRecord.Target.IsUnknown;
            sink.Record(clientRecord);
        }

        if (known)
        {
            tally.Analyzed++;
        }
        else
        {
            tally.Unattributed++;
        }
    }

    /// <summary>
    /// The reporter as a node: from its node metadata (parsed once per stream), or, when that
    /// names no workload, from its own IPs through the analyzers that map addresses.
    /// </summary>
    private static (NodeRef Node, string Instance) Reporter(StreamIdentity reporter, IReadOnlyList<IPeerAnalyzer> chain)
    {
        if (!reporter.Node.IsUnknown)
        {
            return (reporter.Node, reporter.Instance);
        }

        foreach (var ip in reporter.InstanceIps)
        {
            for (var i = 0; i < chain.Count; i++)
            {
                if (chain[i].IdentifyAddress(ip) is { IsIdentified: true } peer)
                {
                    return (peer.ToNode(), peer.Instance);
                }
            }
        }

        return (reporter.Node, reporter.Instance);
    }

    /// <summary>
    /// A caller no analyzer identified, named by the SPIFFE identity of its client certificate
    /// (<c>spiffe://td/ns/NS/sa/SA</c>): its namespace and service account. Else unknown.
    /// </summary>
    internal static NodeRef SpiffeCaller(TLSProperties? tls)
    {
        if (tls?.PeerCertificateProperties is not { } cert)
        {
            return NodeRef.Unknown;
        }

        foreach (var san in cert.SubjectAltName)
        {
            if (san.SanCase != TLSProperties.Types.CertificateProperties.Types.SubjectAltName.SanOneofCase.Uri
                || !san.Uri.StartsWith("spiffe://", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = san.Uri.Split('/');

            // spiffe: / "" / trust-domain / ns / NS / sa / SA
            if (parts.Length == 7 && parts[3] == "ns" && parts[5] == "sa" && parts[4].Length > 0 && parts[6].Length > 0)
            {
                return NodeRef.ServiceAccount(parts[4], parts[6]);
            }
        }

        return NodeRef.Unknown;
    }

    private static PeerInfo? Identify(IReadOnlyList<IPeerAnalyzer> chain, AccessLogCommon common, PeerPosition position, IngestTally tally)
    {
        for (var i = 0; i < chain.Count; i++)
        {
            var peer = chain[i].Identify(common, position, tally);
            if (peer is { IsIdentified: true })
            {
                return peer;
            }
        }

        return null;
    }

    /// <summary>
    /// The destination when no analyzer identified the upstream peer: the service named by an
    /// <c>outbound|port|subset|fqdn</c> cluster, or an external host for traffic that left the
    /// mesh registry (named by the request authority, else the IP it went to).
    /// </summary>
    private static NodeRef DestinationFromCluster(StreamIdentity reporter, AccessLogCommon common, UpstreamCluster cluster, string authority)
    {
        switch (cluster.Kind)
        {
            case ClusterKind.Outbound when cluster.Host.Length > 0:
                return UpstreamCluster.TrySplitServiceFqdn(cluster.Host, out var ns, out var name)
                    ? NodeRef.Service(ns, name)
                    : NodeRef.External(cluster.Host);
            case ClusterKind.Passthrough:
            case ClusterKind.BlackHole:
                var host = HostOf(authority);
                if (host.Length == 0)
                {
                    host = CanonicalName.FirstOf(AddressText.Ip(common.UpstreamRemoteAddress), AddressText.Ip(common.DownstreamLocalAddress));
                }

                return host.Length > 0 ? NodeRef.External(host) : NodeRef.Unknown;
            case ClusterKind.Other when common.UpstreamCluster.Length > 0:
                // A plain Envoy names its upstream clusters after the services they reach.
                return NodeRef.Service(reporter.Node.Namespace, common.UpstreamCluster);
            default:
                return NodeRef.Unknown;
        }
    }

    private static bool TryMinute(AccessLogCommon common, bool useEndTime, in EntryClock clock, IngestTally tally, out long minute)
    {
        // An entry without a start time is timed by its arrival.
        var seconds = common.StartTime?.Seconds ?? clock.NowSecond;
        if (useEndTime && common.Duration is { } d)
        {
            seconds += d.Seconds;
        }

        minute = Math.DivRem(seconds, 60, out var rem) - (rem < 0 ? 1 : 0);
        if (minute < clock.OldestMinute)
        {
            tally.Reject(RejectReason.OutsideRetention);
            return false;
        }

        if (seconds > clock.NewestSecond)
        {
            tally.Reject(RejectReason.FutureTimestamp);
            return false;
        }

        return true;
    }

    private static bool IsOwnAddress(StreamIdentity reporter, string ip)
    {
        foreach (var own in reporter.InstanceIps)
        {
            if (AddressText.SameIp(own, ip))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Server side: mutual TLS when the peer presented a certificate with a URI SAN (SPIFFE) and we presented ours.</summary>
    private static (bool Known, bool Mutual) MutualTls(TLSProperties? tls)
    {
        if (tls is null)
        {
            return (true, false);
        }

        var peerUri = false;
        if (tls.PeerCertificateProperties is { } peerCert)
        {
            foreach (var san in peerCert.SubjectAltName)
            {
                peerUri |= san.SanCase == TLSProperties.Types.CertificateProperties.Types.SubjectAltName.SanOneofCase.Uri && san.Uri.Length > 0;
            }
        }

        return (true, peerUri && tls.LocalCertificateProperties is not null);
    }

    internal static string Endpoint(HTTPRequestProperties? request)
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

        var method = request.RequestMethod == Envoy.Config.Core.V3.RequestMethod.MethodUnspecified
            ? "-"
            : MethodName(request.RequestMethod);
        return method + " " + path;
    }

    private static string MethodName(Envoy.Config.Core.V3.RequestMethod m) => m switch
    {
        Envoy.Config.Core.V3.RequestMethod.Get => "GET",
        Envoy.Config.Core.V3.RequestMethod.Head => "HEAD",
        Envoy.Config.Core.V3.RequestMethod.Post => "POST",
        Envoy.Config.Core.V3.RequestMethod.Put => "PUT",
        Envoy.Config.Core.V3.RequestMethod.Delete => "DELETE",
        Envoy.Config.Core.V3.RequestMethod.Connect => "CONNECT",
        Envoy.Config.Core.V3.RequestMethod.Options => "OPTIONS",
        Envoy.Config.Core.V3.RequestMethod.Trace => "TRACE",
        Envoy.Config.Core.V3.RequestMethod.Patch => "PATCH",
        _ => "-",
    };

    /// <summary>The host part of an authority: <c>api.example.com:443</c> -> <c>api.example.com</c>, IPv6 brackets kept.</summary>
    internal static string HostOf(string authority)
    {
        if (authority.Length == 0)
        {
            return authority;
        }

        if (authority[0] == '[')
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            return close > 0 ? authority[..(close + 1)] : authority;
        }

        var colon = authority.LastIndexOf(':');
        return colon > 0 ? authority[..colon] : authority;
    }

    /// <summary>A whole Duration in microseconds (seconds and nanos), or -1 when absent.</summary>
    internal static long Micros(Duration? d) => d is null ? -1 : Math.Max(0, (d.Seconds * 1_000_000) + (d.Nanos / 1_000));

    private static long RequestBytes(AccessLogCommon common, HTTPRequestProperties? request) =>
        common.DownstreamWireBytesReceived > 0
            ? (long)common.DownstreamWireBytesReceived
            : (long)((request?.RequestHeadersBytes ?? 0) + (request?.RequestBodyBytes ?? 0));

    private static long ResponseBytes(AccessLogCommon common, HTTPResponseProperties? response) =>
        common.DownstreamWireBytesSent > 0
            ? (long)common.DownstreamWireBytesSent
            : (long)((response?.ResponseHeadersBytes ?? 0) + (response?.ResponseBodyBytes ?? 0));
}
