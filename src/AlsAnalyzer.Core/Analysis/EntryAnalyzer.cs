using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Peers;
using Envoy.Data.Accesslog.V3;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Analysis;

/// <summary>
/// Turns one access log entry into side records: decides which side the reporter is on,
/// identifies the peers through the analyzer chain, and measures the call. It reads
/// <see cref="EntryFacts"/>, so the reference and the fast decoder share it.
/// </summary>
internal sealed class EntryAnalyzer
{
    // The chains as arrays: walked for every entry, without an interface call per element.
    private readonly IPeerAnalyzer[] _http;
    private readonly IPeerAnalyzer[] _tcp;

    // Callers named by their certificate, by the URI's text, so that a repeated caller is
    // named without splitting its URI (and allocating) again. Bounded: a mesh has one URI per
    // service account; past the bound a new URI is named but not kept.

    /// <summary>Istio's <c>destination_service</c> for calls through the passthrough and black hole clusters.</summary>
    public const string PassthroughService = "PassthroughCluster";
    public const string BlackHoleService = "BlackHoleCluster";

    public EntryAnalyzer(AnalysisSettings settings)
    {
        Settings = settings;
        DecodeHttpPeers = settings.HttpAnalyzers.Any(a => a is MxMeshAnalyzer);
        DecodeTcpPeers = settings.TcpAnalyzers.Any(a => a is MxMeshAnalyzer);
        _http = [.. settings.HttpAnalyzers];
        _tcp = [.. settings.TcpAnalyzers];
        IpNames = new InternTable(settings.MaxIpNames, settings.MaxIpNameBytes);
        CertificateCallers = new CertificateCallers(settings.MaxCertificateCallers, settings.MaxCertificateCallerBytes);
    }

    public AnalysisSettings Settings { get; }

    /// <summary>IPs that name external nodes (a call to an address outside the registry), interned: a mesh calls a bounded set of them.</summary>
    public InternTable IpNames { get; }

    /// <summary>Callers named by their client certificate's SPIFFE identity, by that identity.</summary>
    public CertificateCallers CertificateCallers { get; }

    /// <summary>Whether HTTP entries' peer metadata is read at all (only mx-mesh reads it).</summary>
    public bool DecodeHttpPeers { get; }

    public bool DecodeTcpPeers { get; }

    /// <summary>Reference path: an HTTP entry from the generated objects.</summary>
    public void AnalyzeHttp(StreamIdentity reporter, HTTPAccessLogEntry entry, in EntryClock clock, IngestTally tally, ISideSink sink)
    {
        var facts = ReferenceFacts.Http(entry, DecodeHttpPeers);
        AnalyzeHttp(reporter, ref facts, clock, tally, sink);
    }

    /// <summary>Reference path: a TCP entry from the generated objects.</summary>
    /// <param name="connections">The stream's open-connection state; periodic entries add only their new bytes.</param>
    public void AnalyzeTcp(StreamIdentity reporter, TCPAccessLogEntry entry, in EntryClock clock, IngestTally tally, ISideSink sink, TcpConnectionTracker connections)
    {
        var facts = ReferenceFacts.Tcp(entry, DecodeTcpPeers);
        AnalyzeTcp(reporter, ref facts, clock, tally, sink, connections);
    }

    public void AnalyzeHttp(StreamIdentity reporter, ref EntryFacts facts, in EntryClock clock, IngestTally tally, ISideSink sink)
    {
        tally.Received++;
        if (!facts.HasCommon)
        {
            tally.Reject(RejectReason.MissingCommonProperties);
            return;
        }

        if (!TryMinute(facts, useEndTime: false, clock, tally, out var minute))
        {
            return;
        }

        var record = new SideRecord
        {
            Minute = minute,
            Protocol = facts.IsGrpc ? TrafficProtocol.Grpc : TrafficProtocol.Http,
            Endpoint = facts.Endpoint,
            StatusCode = facts.StatusCode,
            Flags = facts.Flags,
            LatencyMicros = facts.LatencyMicros,
            BytesSent = facts.RequestBytes,
            BytesReceived = facts.ResponseBytes,
            GrpcStatus = facts.GrpcStatus,
        };
        // A code that is not an HTTP status (outside 100-599; above 2^31 it reads as negative)
        // is what Envoy or the sender got wrong, never a success: class 0 with "no response",
        // an error as a 5xx is, and counted, so an SRE's error rate cannot hide it.
        if (record.StatusCode != 0 && record.StatusCode is < 100 or >= 600)
        {
            tally.InvalidStatusCodes++;
        }

        record.Error = record.StatusCode is not (>= 100 and < 500)
            || ResponseFlagSet.IsFailure(record.Flags)
            || facts.GrpcStatus > 0;

        Emit(reporter, ref facts, ref record, _http, tally, sink);
    }

    public void AnalyzeTcp(StreamIdentity reporter, ref EntryFacts facts, in EntryClock clock, IngestTally tally, ISideSink sink, TcpConnectionTracker connections)
    {
        tally.Received++;
        if (!facts.HasCommon)
        {
            tally.Reject(RejectReason.MissingCommonProperties);
            return;
        }

        // TCP entries are bucketed at their log time (start + duration): a connection open for
        // longer than the retention window must still count when it reports.
        if (!TryMinute(facts, useEndTime: true, clock, tally, out var minute))
        {
            return;
        }

        var (sent, received, opened, closed) = connections.Observe(facts.ConnectionKey, facts.IsFinalTcp, facts.TcpReceivedBytes, facts.TcpSentBytes);
        var record = new SideRecord
        {
            Minute = minute,
            Protocol = TrafficProtocol.Tcp,
            Endpoint = string.Empty,
            Flags = facts.Flags,
            LatencyMicros = -1,
            BytesSent = (long)sent,
            BytesReceived = (long)received,
            ConnectionsOpened = opened ? 1 : 0,
            Connections = closed ? 1 : 0,
            GrpcStatus = -1,
        };
        record.Error = ResponseFlagSet.IsFailure(record.Flags);

        Emit(reporter, ref facts, ref record, _tcp, tally, sink);
    }

    /// <summary>
    /// A caller no analyzer identified, named by the SPIFFE identity of its client certificate
    /// (<c>spiffe://td/ns/NS/sa/SA</c>): its namespace and service account. Else unknown.
    /// </summary>
    internal static NodeRef SpiffeCaller(string uri)
    {
        if (uri.Length == 0)
        {
            return NodeRef.Unknown;
        }

        var parts = uri.Split('/');

        // spiffe: / "" / trust-domain / ns / NS / sa / SA
        return parts.Length == 7 && parts[3] == "ns" && parts[5] == "sa" && parts[4].Length > 0 && parts[6].Length > 0
            ? NodeRef.ServiceAccount(parts[4], parts[6])
            : NodeRef.Unknown;
    }

    private NodeRef CallerFromCertificate(string uri) => uri.Length == 0 ? NodeRef.Unknown : CertificateCallers.Get(uri);

    private void Emit(
        StreamIdentity reporter,
        ref EntryFacts facts,
        ref SideRecord record,
        IPeerAnalyzer[] chain,
        IngestTally tally,
        ISideSink sink)
    {
        var cluster = facts.Cluster;
        bool server, client;
        if (reporter.ReportsBothSides)
        {
            server = true;

            // A gateway that answered by itself (no route, direct response) called no upstream.
            client = facts.UpstreamCluster.Length > 0 || facts.HasUpstreamRemote;
        }
        else
        {
            server = cluster.Cluster.Kind switch
            {
                ClusterKind.Inbound or ClusterKind.InboundPassthrough => true,
                ClusterKind.Outbound or ClusterKind.Passthrough or ClusterKind.BlackHole => false,

                // No Istio cluster name: inbound when the request arrived on one of the proxy's own IPs.
                _ => IsOwnAddress(reporter, facts.DownstreamLocalIp),
            };
            client = !server;
        }

        // On the server side the request arrived on one of the reporter's own addresses.
        var (self, selfInstance, selfWorkload) = Reporter(reporter, chain, server ? facts.DownstreamLocalIp : default);
        record.Passthrough = cluster.Cluster.Kind is ClusterKind.Passthrough or ClusterKind.InboundPassthrough;
        record.SourcePrincipal = string.Empty;
        record.TargetPrincipal = string.Empty;
        record.DestinationHost = string.Empty;
        record.CallerPrincipal = string.Empty;
        var waypoint = reporter.Role == ProxyRole.Waypoint;
        var known = true;
        if (server)
        {
            var serverRecord = record;
            serverRecord.Reporter = ReporterSide.Server;
            var peer = Identify(chain, ref facts, PeerPosition.Downstream, tally);
            serverRecord.Source = peer?.ToNode() ?? CallerFromCertificate(facts.PeerSpiffe);
            serverRecord.SourceInstance = peer?.Instance ?? string.Empty;
            serverRecord.SourceIsGateway = peer?.IsGateway ?? false;
            serverRecord.Target = self;
            serverRecord.TargetInstance = selfInstance;
            serverRecord.TargetIsGateway = reporter.ReportsBothSides;
            serverRecord.SourceWorkload = peer?.ToWorkloadId();
            serverRecord.TargetWorkload = selfWorkload;
            serverRecord.SourcePrincipal = facts.PeerSpiffe;
            serverRecord.TargetPrincipal = facts.LocalSpiffe;

            // One Istio series per entry: a sidecar's inbound half; a gateway's or waypoint's
            // client half, unless it called no upstream.
            serverRecord.Istio = !reporter.ReportsBothSides ? IstioReport.Destination
                : client ? IstioReport.None
                : waypoint ? IstioReport.WaypointNoUpstream : IstioReport.SourceNoUpstream;

            // Server side: mutual TLS when the peer presented a certificate with a URI SAN (SPIFFE) and we presented ours.
            serverRecord.TlsKnown = true;
            serverRecord.Mtls = facts.HasTls && facts.PeerHasUriSan && facts.HasLocalCertificate;
            known &= !serverRecord.Source.IsUnknown && !serverRecord.Target.IsUnknown;
            sink.Record(serverRecord);
            record.Caller = serverRecord.Source;
            record.CallerWorkload = serverRecord.SourceWorkload;
            record.CallerPrincipal = serverRecord.SourcePrincipal;
        }

        if (client)
        {
            var clientRecord = record;
            clientRecord.Reporter = ReporterSide.Client;
            clientRecord.Source = self;
            clientRecord.SourceInstance = selfInstance;
            clientRecord.SourceIsGateway = reporter.ReportsBothSides;
            var peer = Identify(chain, ref facts, PeerPosition.Upstream, tally);
            clientRecord.Target = peer?.ToNode() ?? DestinationFromCluster(reporter, chain, ref facts, cluster);
            clientRecord.TargetInstance = peer?.Instance ?? string.Empty;
            clientRecord.TargetIsGateway = peer?.IsGateway ?? false;
            clientRecord.SourceWorkload = selfWorkload;
            clientRecord.TargetWorkload = peer?.ToWorkloadId();
            clientRecord.DestinationHost = cluster.Cluster.Kind switch
            {
                ClusterKind.Outbound => cluster.Cluster.Host,
                ClusterKind.Passthrough => PassthroughService,
                ClusterKind.BlackHole => BlackHoleService,
                _ => string.Empty,
            };
            clientRecord.Istio = waypoint ? IstioReport.Waypoint : IstioReport.Source;
            if (cluster.Cluster.Kind == ClusterKind.BlackHole)
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
    /// The reporter as a node. Node metadata whose labels name the canonical service wins (an
    /// Istio sidecar). Otherwise (plain Envoy, a minimal bootstrap) the analyzers that map
    /// addresses are asked about the reporter's own IPs - <c>INSTANCE_IPS</c>, the IP in
    /// <c>node.id</c>, then the local address the entry arrived on - so that a pod is named
    /// the same whether it reports or is a peer; only then the name guessed from the
    /// workload, the pod name or <c>node.cluster</c> is used. The lookups run per entry only
    /// for such thin reporters; with k8s-mesh each is one dictionary probe.
    /// </summary>
    private static (NodeRef Node, string Instance, WorkloadId Workload) Reporter(StreamIdentity reporter, IPeerAnalyzer[] chain, IpText localIp)
    {
        if (reporter.NamedByLabels)
        {
            return (reporter.Node, reporter.Instance, OwnWorkload(reporter));
        }

        foreach (var ip in reporter.InstanceIps)
        {
            for (var i = 0; i < chain.Length; i++)
            {
                if (chain[i].IdentifyAddress(ip) is { IsIdentified: true } peer)
                {
                    return (peer.ToNode(), peer.Instance, peer.ToWorkloadId());
                }
            }
        }

        if (!localIp.IsEmpty)
        {
            for (var i = 0; i < chain.Length; i++)
            {
                if (chain[i].IdentifyAddress(localIp) is { IsIdentified: true } peer)
                {
                    return (peer.ToNode(), peer.Instance, peer.ToWorkloadId());
                }
            }
        }

        return (reporter.Node, reporter.Instance, OwnWorkload(reporter));
    }

    private static WorkloadId OwnWorkload(StreamIdentity reporter) =>
        reporter.WorkloadId ?? new WorkloadId(reporter.Workload, reporter.Version, reporter.Cluster);

    private static PeerInfo? Identify(IPeerAnalyzer[] chain, ref EntryFacts facts, PeerPosition position, IngestTally tally)
    {
        for (var i = 0; i < chain.Length; i++)
        {
            var peer = chain[i].Identify(ref facts, position, tally);
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
    private NodeRef DestinationFromCluster(StreamIdentity reporter, IPeerAnalyzer[] chain, ref EntryFacts facts, ParsedCluster cluster)
    {
        switch (cluster.Cluster.Kind)
        {
            case ClusterKind.Outbound when cluster.Cluster.Host.Length > 0:
                // Istio names the clusters of a ServiceEntry after its hosts.
                return cluster.Destination.Kind == NodeKind.External
                    ? NameExternal(chain, cluster.Cluster.Host, facts.UpstreamRemoteIp) ?? cluster.Destination
                    : cluster.Destination;
            case ClusterKind.Passthrough:
            case ClusterKind.BlackHole:
                var host = facts.AuthorityHost;
                var ip = facts.UpstreamRemoteIp.IsEmpty ? facts.DownstreamLocalIp : facts.UpstreamRemoteIp;
                if (NameExternal(chain, host, ip) is { } registered)
                {
                    return registered;
                }

                if (host.Length == 0)
                {
                    host = ip.ToInternedString(IpNames);
                }

                return host.Length > 0 ? NodeRef.External(host) : NodeRef.Unknown;
            case ClusterKind.Other when facts.UpstreamCluster.Length > 0:
                // A plain Envoy names its upstream clusters after the services they reach.
                return NodeRef.Service(reporter.Node.Namespace, facts.UpstreamCluster);
            default:
                return NodeRef.Unknown;
        }
    }

    private static NodeRef? NameExternal(IPeerAnalyzer[] chain, string host, IpText ip)
    {
        for (var i = 0; i < chain.Length; i++)
        {
            if (chain[i].NameExternal(host, ip) is { } node)
            {
                return node;
            }
        }

        return null;
    }

    private static bool TryMinute(in EntryFacts facts, bool useEndTime, in EntryClock clock, IngestTally tally, out long minute)
    {
        // An entry without a start time is timed by its arrival.
        var seconds = facts.HasStart ? facts.StartSeconds : clock.NowSecond;
        if (useEndTime && facts.HasDuration)
        {
            seconds += facts.DurationSeconds;
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

    private static bool IsOwnAddress(StreamIdentity reporter, IpText ip)
    {
        foreach (var own in reporter.InstanceIps)
        {
            if (ip.SameAs(own))
            {
                return true;
            }
        }

        return false;
    }
}
