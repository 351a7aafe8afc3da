using Envoy.Config.Core.V3;
using Envoy.Data.Accesslog.V3;
using Envoy.Service.Accesslog.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Testing;

/// <summary>How a proxy logs its peer: which Istio generation, or not at all.</summary>
public enum PeerEncoding
{
    /// <summary>Istio &gt;= 1.24: <c>upstream_peer</c>/<c>downstream_peer</c> Struct.</summary>
    Struct,

    /// <summary>Istio &lt;= 1.23: <c>wasm.*_peer</c> BytesValue with a FlatNode.</summary>
    FlatNode,

    /// <summary>No peer metadata in filter state.</summary>
    None,
}

/// <summary>One HTTP call between two workloads (the source may be outside the mesh).</summary>
public sealed record HttpCall
{
    public Workload? Source { get; init; }

    public required Workload Destination { get; init; }

    public RequestMethod Method { get; init; } = RequestMethod.Get;

    public string Path { get; init; } = "/";

    /// <summary>0 for no response.</summary>
    public uint Status { get; init; } = 200;

    public TimeSpan Latency { get; init; } = TimeSpan.FromMilliseconds(10);

    public DateTimeOffset Start { get; init; } = DateTimeOffset.UtcNow;

    public PeerEncoding Encoding { get; init; } = PeerEncoding.Struct;

    public ResponseFlags? Flags { get; init; }

    public bool Grpc { get; init; }

    public bool Mtls { get; init; } = true;

    public ulong RequestBodyBytes { get; init; } = 100;

    public ulong ResponseBodyBytes { get; init; } = 1000;

    public int Port { get; init; } = 9080;

    public string ExternalCallerIp { get; init; } = "203.0.113.7";
}

/// <summary>One TCP connection between two workloads.</summary>
public sealed record TcpCall
{
    public required Workload Source { get; init; }

    public required Workload Destination { get; init; }

    public ulong SentBytes { get; init; } = 5000;

    public ulong ReceivedBytes { get; init; } = 700;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(2);

    public DateTimeOffset Start { get; init; } = DateTimeOffset.UtcNow;

    public PeerEncoding Encoding { get; init; } = PeerEncoding.Struct;

    public AccessLogType Type { get; init; } = AccessLogType.TcpConnectionEnd;

    public int Port { get; init; } = 3306;
}

/// <summary>Access log entries as Istio's proxies write them for a call, on each side.</summary>
public static class Calls
{
    /// <summary>What the caller's sidecar (or a gateway, for its upstream half) logs.</summary>
    public static HTTPAccessLogEntry Outbound(HttpCall c)
    {
        var common = Common(c.Start, c.Latency, c.Flags);
        common.UpstreamCluster = $"outbound|{c.Port}||{c.Destination.App}.{c.Destination.Namespace}.svc.cluster.local";
        common.UpstreamRemoteAddress = Socket(c.Destination.Ip, c.Port);
        common.DownstreamRemoteAddress = Socket(c.Source?.Ip ?? c.ExternalCallerIp, 40000);
        common.DownstreamDirectRemoteAddress = Socket(c.Source?.Ip ?? c.ExternalCallerIp, 40000);
        common.DownstreamLocalAddress = Socket("10.96.0.10", c.Port);
        AddPeer(common, "upstream", c.Destination, c.Encoding);
        return Http(c, common);
    }

    /// <summary>What the destination's sidecar logs.</summary>
    public static HTTPAccessLogEntry Inbound(HttpCall c)
    {
        var common = Common(c.Start, c.Latency, c.Flags);
        common.UpstreamCluster = $"inbound|{c.Port}||";
        common.UpstreamRemoteAddress = Socket(c.Destination.Ip, c.Port);
        common.DownstreamRemoteAddress = Socket(c.Source?.Ip ?? c.ExternalCallerIp, 40000);
        common.DownstreamDirectRemoteAddress = Socket(c.Source?.Ip ?? c.ExternalCallerIp, 40000);
        common.DownstreamLocalAddress = Socket(c.Destination.Ip, c.Port);
        if (c.Source is not null)
        {
            AddPeer(common, "downstream", c.Source, c.Encoding);
        }

        if (c.Mtls)
        {
            common.TlsProperties = MutualTls(c.Source, c.Destination);
        }

        return Http(c, common);
    }

    /// <summary>What a gateway logs: the downstream is the outside caller, the upstream the destination.</summary>
    public static HTTPAccessLogEntry Gateway(HttpCall c)
    {
        var entry = Outbound(c with { Source = null });
        entry.CommonProperties.DownstreamLocalAddress = Socket("10.244.0.5", 8080);
        return entry;
    }

    public static TCPAccessLogEntry TcpOutbound(TcpCall c)
    {
        var common = Common(c.Start, c.Duration, null);
        common.AccessLogType = c.Type;
        common.UpstreamCluster = $"outbound|{c.Port}||{c.Destination.App}.{c.Destination.Namespace}.svc.cluster.local";
        common.UpstreamRemoteAddress = Socket(c.Destination.Ip, c.Port);
        common.DownstreamRemoteAddress = Socket(c.Source.Ip, 50000);
        common.DownstreamLocalAddress = Socket("10.96.0.20", c.Port);
        AddPeer(common, "upstream", c.Destination, c.Encoding);
        return new TCPAccessLogEntry
        {
            CommonProperties = common,
            ConnectionProperties = new ConnectionProperties { ReceivedBytes = c.SentBytes, SentBytes = c.ReceivedBytes },
        };
    }

    public static TCPAccessLogEntry TcpInbound(TcpCall c)
    {
        var common = Common(c.Start, c.Duration, null);
        common.AccessLogType = c.Type;
        common.UpstreamCluster = $"inbound|{c.Port}||";
        common.UpstreamRemoteAddress = Socket(c.Destination.Ip, c.Port);
        common.DownstreamRemoteAddress = Socket(c.Source.Ip, 50000);
        common.DownstreamDirectRemoteAddress = Socket(c.Source.Ip, 50000);
        common.DownstreamLocalAddress = Socket(c.Destination.Ip, c.Port);
        common.TlsProperties = MutualTls(c.Source, c.Destination);
        AddPeer(common, "downstream", c.Source, c.Encoding);
        return new TCPAccessLogEntry
        {
            CommonProperties = common,
            ConnectionProperties = new ConnectionProperties { ReceivedBytes = c.SentBytes, SentBytes = c.ReceivedBytes },
        };
    }

    public static StreamAccessLogsMessage HttpMessage(IEnumerable<HTTPAccessLogEntry> entries, Node? identifierNode = null)
    {
        var m = new StreamAccessLogsMessage { HttpLogs = new StreamAccessLogsMessage.Types.HTTPAccessLogEntries() };
        m.HttpLogs.LogEntry.AddRange(entries);
        if (identifierNode is not null)
        {
            m.Identifier = Nodes.Identifier(identifierNode);
        }

        return m;
    }

    public static StreamAccessLogsMessage TcpMessage(IEnumerable<TCPAccessLogEntry> entries, Node? identifierNode = null)
    {
        var m = new StreamAccessLogsMessage { TcpLogs = new StreamAccessLogsMessage.Types.TCPAccessLogEntries() };
        m.TcpLogs.LogEntry.AddRange(entries);
        if (identifierNode is not null)
        {
            m.Identifier = Nodes.Identifier(identifierNode);
        }

        return m;
    }

    public static Address Socket(string ip, int port) =>
        new() { SocketAddress = new SocketAddress { Address = ip, PortValue = (uint)port } };

    public static Duration ToDuration(TimeSpan t) => Duration.FromTimeSpan(t);

    private static AccessLogCommon Common(DateTimeOffset start, TimeSpan latency, ResponseFlags? flags)
    {
        var common = new AccessLogCommon
        {
            SampleRate = 1,
            StartTime = Timestamp.FromDateTimeOffset(start),
            TimeToLastRxByte = ToDuration(TimeSpan.FromTicks(latency.Ticks / 10)),
            TimeToFirstUpstreamTxByte = ToDuration(TimeSpan.FromTicks(latency.Ticks / 8)),
            TimeToLastDownstreamTxByte = ToDuration(latency),
            Duration = ToDuration(latency),
            RouteName = "default",
        };
        if (flags is not null)
        {
            common.ResponseFlags = flags;
        }

        return common;
    }

    private static HTTPAccessLogEntry Http(HttpCall c, AccessLogCommon common)
    {
        var request = new HTTPRequestProperties
        {
            RequestMethod = c.Method,
            Scheme = "http",
            Authority = $"{c.Destination.App}:{c.Port}",
            Path = c.Path,
            UserAgent = c.Grpc ? "grpc-go/1.60.0" : "curl/8.5.0",
            RequestId = Guid.NewGuid().ToString(),
            RequestHeadersBytes = 200,
            RequestBodyBytes = c.RequestBodyBytes,
        };
        var entry = new HTTPAccessLogEntry
        {
            CommonProperties = common,
            ProtocolVersion = c.Grpc ? HTTPAccessLogEntry.Types.HTTPVersion.Http2 : HTTPAccessLogEntry.Types.HTTPVersion.Http11,
            Request = request,
            Response = new HTTPResponseProperties
            {
                ResponseHeadersBytes = 150,
                ResponseBodyBytes = c.ResponseBodyBytes,
                ResponseCodeDetails = c.Status == 0 ? "upstream_reset_before_response_started" : "via_upstream",
            },
        };
        if (c.Status != 0)
        {
            entry.Response.ResponseCode = c.Status;
        }

        return entry;
    }

    private static void AddPeer(AccessLogCommon common, string side, Workload peer, PeerEncoding encoding)
    {
        switch (encoding)
        {
            case PeerEncoding.Struct:
                common.FilterStateObjects[side + "_peer"] = Peers.AsStruct(peer);
                break;
            case PeerEncoding.FlatNode:
                common.FilterStateObjects["wasm." + side + "_peer"] = Peers.AsFlatNode(peer);
                common.FilterStateObjects["wasm." + side + "_peer_id"] = new Any
                {
                    TypeUrl = Peers.BytesValueType,
                    Value = new BytesValue { Value = ByteString.CopyFromUtf8($"sidecar~{peer.Ip}~{peer.Pod}.{peer.Namespace}~{peer.Namespace}.svc.cluster.local") }.ToByteString(),
                };
                break;
            default:
                break;
        }
    }

    private static TLSProperties MutualTls(Workload? source, Workload destination)
    {
        var tls = new TLSProperties
        {
            TlsVersion = TLSProperties.Types.TLSVersion.Tlsv13,
            LocalCertificateProperties = new TLSProperties.Types.CertificateProperties(),
        };
        tls.LocalCertificateProperties.SubjectAltName.Add(new TLSProperties.Types.CertificateProperties.Types.SubjectAltName
        {
            Uri = $"spiffe://cluster.local/ns/{destination.Namespace}/sa/{destination.App}",
        });
        if (source is not null)
        {
            tls.PeerCertificateProperties = new TLSProperties.Types.CertificateProperties();
            tls.PeerCertificateProperties.SubjectAltName.Add(new TLSProperties.Types.CertificateProperties.Types.SubjectAltName
            {
                Uri = $"spiffe://cluster.local/ns/{source.Namespace}/sa/{source.App}",
            });
        }

        return tls;
    }
}
