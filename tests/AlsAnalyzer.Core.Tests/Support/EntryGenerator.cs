using AlsAnalyzer.Testing;
using Envoy.Config.Core.V3;
using Envoy.Data.Accesslog.V3;
using Envoy.Service.Accesslog.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using TestPeers = AlsAnalyzer.Testing.Peers;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Tests.Support;

/// <summary>
/// Realistic Istio entries with random variations of every field the analysis reads (and
/// of fields it does not), from a seeded <see cref="Random"/>: the corpus the fast decoder is
/// compared with the reference on.
/// </summary>
internal static class EntryGenerator
{
    public static readonly Workload[] Workloads =
    [
        new("default", "productpage", "v1", "productpage-v1-7f99cc4496-aaaaa", "10.244.1.10"),
        new("default", "reviews", "v2", "reviews-v2-7f99cc4496-bbbbb", "10.244.1.11"),
        new("default", "ratings", "v1", "ratings-v1-7f99cc4496-ccccc", "10.244.1.12"),
        new("shop", "cart", "v3", "cart-v3-7f99cc4496-ddddd", "fd00::12"),
        new("data", "mysql", "v1", "mysql-0", "10.244.2.20"),
        new("istio-system", "istio-ingressgateway", "1-24", "istio-ingressgateway-5c8d9f6b7c-q2w3e", "10.244.0.5")
        {
            ExtraLabels = new Dictionary<string, string> { ["istio"] = "ingressgateway" },
        },
    ];

    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 30, TimeSpan.Zero);

    private static readonly string[] Paths = ["/", "/reviews/0", "/reviews/1?user=jason", "/api/v1/items#frag", "/cart.Cart/Add", "/Greeter/SayHello", "/a/b/c", "/x?y", "/é/ü",
        "/cart;jsessionid=ABC123/items", "/auth/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl/me", "/keys/AKIAIOSFODNN7EXAMPLE0123456789abcd",
        "/a;b", "/files/0123456789abcdef0123456789abcdef?x=1", "/avatar/Z" + new string('z', 300) + "9;v=1",
    ];

    private static readonly string[] Clusters =
    [
        string.Empty, "PassthroughCluster", "BlackHoleCluster", "InboundPassthroughClusterIpv4", "InboundPassthroughClusterIpv6",
        "outbound|443||api.example.com", "outbound|9080|v1|reviews.default.svc.cluster.local", "inbound|9080||", "plain-cluster",
    ];

    private static readonly uint[] Statuses = [0, 200, 200, 201, 302, 404, 429, 500, 503, 101];
    private static readonly PeerEncoding[] Encodings = [PeerEncoding.Struct, PeerEncoding.FlatNode, PeerEncoding.None];
    private static readonly string[] RequestContentTypes = ["application/grpc", "application/grpc+proto", "APPLICATION/GRPC", "text/html"];
    private static readonly string[] TrailerStatuses = ["0", "14", " 3", "x", "-2"];
    private static readonly string[] HeaderStatuses = ["0", "7"];
    private static readonly string[] ResponseContentTypes = ["application/grpc", "text/plain"];
    private static readonly AccessLogType[] TcpTypes = [AccessLogType.NotSet, AccessLogType.TcpPeriodic, AccessLogType.TcpConnectionEnd, AccessLogType.TcpUpstreamConnected];

    private static readonly string[] Authorities = [string.Empty, "reviews:9080", "api.example.com:443", "[fd00::1]:8080", "host", "[::1]", "admin:SECRET@db.example.com:5432", "user@[fd00::2]:80", "a@b@host"];

    public static HTTPAccessLogEntry Http(Random r)
    {
        var call = new HttpCall
        {
            Source = r.Next(6) == 0 ? null : Pick(r, Workloads),
            Destination = Pick(r, Workloads),
            Method = (RequestMethod)r.Next(0, 11),
            Path = Pick(r, Paths),
            Status = Pick(r, Statuses),
            Latency = TimeSpan.FromTicks(r.NextInt64(0, TimeSpan.TicksPerSecond * 5)),
            Start = Start(r),
            Encoding = Pick(r, Encodings),
            Flags = r.Next(3) == 0 ? Flags(r) : null,
            Grpc = r.Next(4) == 0,
            Mtls = r.Next(3) != 0,
            RequestBodyBytes = (ulong)r.Next(0, 10_000),
            ResponseBodyBytes = (ulong)r.Next(0, 100_000),
        };
        var entry = r.Next(3) switch
        {
            0 => Calls.Outbound(call),
            1 => Calls.Inbound(call),
            _ => Calls.Gateway(call),
        };
        Vary(r, entry.CommonProperties);
        if (r.Next(6) == 0)
        {
            entry.Request.Authority = Pick(r, Authorities);
        }

        if (r.Next(5) == 0)
        {
            entry.Request.RequestHeaders["content-type"] = Pick(r, RequestContentTypes);
        }

        if (r.Next(5) == 0)
        {
            entry.Response.ResponseTrailers["grpc-status"] = Pick(r, TrailerStatuses);
        }

        if (r.Next(8) == 0)
        {
            entry.Response.ResponseHeaders["grpc-status"] = Pick(r, HeaderStatuses);
        }

        if (r.Next(8) == 0)
        {
            entry.Response.ResponseHeaders["content-type"] = Pick(r, ResponseContentTypes);
        }

        switch (r.Next(14))
        {
            case 0:
                entry.Request = null;
                break;
            case 1:
                entry.Response = null;
                break;
            case 2:
                entry.CommonProperties = null;
                break;
            case 3:
                entry.Response.ResponseCode = null;
                break;
            default:
                break;
        }

        entry.ProtocolVersion = (HTTPAccessLogEntry.Types.HTTPVersion)r.Next(0, 5);
        return entry;
    }

    public static TCPAccessLogEntry Tcp(Random r)
    {
        var call = new TcpCall
        {
            Source = Pick(r, Workloads),
            Destination = Pick(r, Workloads),
            SentBytes = (ulong)r.Next(0, 1_000_000),
            ReceivedBytes = (ulong)r.Next(0, 1_000_000),
            Duration = TimeSpan.FromSeconds(r.Next(0, 600)),
            Start = Start(r),
            Encoding = Pick(r, Encodings),
            Type = Pick(r, TcpTypes),
        };
        var entry = r.Next(2) == 0 ? Calls.TcpOutbound(call) : Calls.TcpInbound(call);
        Vary(r, entry.CommonProperties);
        entry.CommonProperties.IntermediateLogEntry = r.Next(4) == 0;
        if (r.Next(2) == 0)
        {
            entry.CommonProperties.StreamId = "conn-" + r.Next(20);
        }

        if (r.Next(10) == 0)
        {
            entry.ConnectionProperties = null;
        }

        return entry;
    }

    /// <summary>The payloads of one proxy's stream: identifier first (usually), then batches.</summary>
    public static IEnumerable<byte[]> Stream(Random r)
    {
        var self = Pick(r, Workloads);
        var node = r.Next(4) switch
        {
            0 => Nodes.Router(self),
            1 => Nodes.Waypoint(self),
            _ => Nodes.Sidecar(self),
        };
        var messages = r.Next(1, 5);
        var anonymous = r.Next(10) == 0;
        for (var m = 0; m < messages; m++)
        {
            var identifier = m == 0 && !anonymous ? node : null;
            var count = r.Next(1, 30);
            yield return r.Next(4) == 0
                ? Calls.TcpMessage(Enumerable.Range(0, count).Select(_ => Tcp(r)), identifier).ToByteArray()
                : Calls.HttpMessage(Enumerable.Range(0, count).Select(_ => Http(r)), identifier).ToByteArray();
        }
    }

    private static void Vary(Random r, AccessLogCommon common)
    {
        if (r.Next(4) == 0)
        {
            common.UpstreamCluster = Pick(r, Clusters);
        }

        switch (r.Next(12))
        {
            case 0:
                common.UpstreamRemoteAddress = new Address { Pipe = new Pipe { Path = "/var/run/app.sock" } };
                break;
            case 1:
                common.DownstreamLocalAddress = new Address { EnvoyInternalAddress = new EnvoyInternalAddress { ServerListenerName = "connect_originate", EndpointId = "e" } };
                break;
            case 2:
                common.DownstreamRemoteAddress = new Address();
                common.DownstreamDirectRemoteAddress = null;
                break;
            case 3:
                common.UpstreamRemoteAddress = null;
                break;
            case 4:
                common.DownstreamDirectRemoteAddress = Calls.Socket("2001:db8::7", 1234);
                break;
            default:
                break;
        }

        switch (r.Next(10))
        {
            case 0:
                common.TimeToLastDownstreamTxByte = null;
                break;
            case 1:
                common.TimeToLastDownstreamTxByte = null;
                common.Duration = null;
                break;
            case 2:
                common.StartTime = null;
                break;
            case 3:
                common.Duration = new Duration { Seconds = 3, Nanos = 999_999_999 };
                break;
            default:
                break;
        }

        if (r.Next(5) == 0)
        {
            common.DownstreamWireBytesReceived = (ulong)r.Next(0, 5000);
            common.DownstreamWireBytesSent = (ulong)r.Next(0, 50_000);
        }

        switch (r.Next(10))
        {
            case 0:
                common.FilterStateObjects["upstream_peer"] = new Any { TypeUrl = "type.googleapis.com/acme.Peer", Value = ByteString.CopyFromUtf8("?") };
                break;
            case 1:
                common.FilterStateObjects["downstream_peer"] = new Any { TypeUrl = TestPeers.StructType, Value = ByteString.CopyFrom(0x0a, 0xff) };
                break;
            case 2:
                var flat = TestPeers.FlatNodeBytes(Pick(r, Workloads));
                common.FilterStateObjects["wasm.upstream_peer"] = new Any
                {
                    TypeUrl = TestPeers.BytesValueType,
                    Value = new BytesValue { Value = ByteString.CopyFrom(flat, 0, r.Next(flat.Length)) }.ToByteString(),
                };
                break;
            case 3:
                common.FilterStateObjects["wasm.downstream_peer"] = TestPeers.AsFlatNode(Pick(r, Workloads));
                break;
            case 4:
                common.FilterStateObjects["unrelated"] = new Any { TypeUrl = "x", Value = ByteString.CopyFromUtf8("y") };
                break;
            case 5:
                common.FilterStateObjects["upstream_peer"] = new Any();
                break;
            default:
                break;
        }

        if (common.TlsProperties is { } tls && r.Next(4) == 0)
        {
            switch (r.Next(4))
            {
                case 0:
                    tls.LocalCertificateProperties = null;
                    break;
                case 1:
                    tls.PeerCertificateProperties?.SubjectAltName.Insert(0, new TLSProperties.Types.CertificateProperties.Types.SubjectAltName { Dns = "a.example" });
                    break;
                case 2:
                    tls.PeerCertificateProperties?.SubjectAltName.Insert(0, new TLSProperties.Types.CertificateProperties.Types.SubjectAltName { Uri = "https://x/y" });
                    break;
                default:
                    tls.PeerCertificateProperties = new TLSProperties.Types.CertificateProperties { Subject = "CN=x" };
                    break;
            }
        }

        if (r.Next(6) == 0)
        {
            common.ResponseFlags ??= new ResponseFlags();
            common.ResponseFlags.UnauthorizedDetails = new ResponseFlags.Types.Unauthorized { Reason = ResponseFlags.Types.Unauthorized.Types.Reason.ExternalService };
        }

        common.RouteName = "r" + r.Next(3);
        common.CustomTags["k"] = "v";
    }

    private static ResponseFlags Flags(Random r)
    {
        var flags = new ResponseFlags();
        foreach (var field in ResponseFlags.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.FieldType == Google.Protobuf.Reflection.FieldType.Bool && r.Next(6) == 0)
            {
                field.Accessor.SetValue(flags, true);
            }
        }

        return flags;
    }

    /// <summary>Mostly within the last minutes; some outside retention, some in the future.</summary>
    private static DateTimeOffset Start(Random r) => r.Next(20) switch
    {
        0 => Now.AddHours(-3),
        1 => Now.AddHours(1),
        _ => Now.AddSeconds(-r.Next(0, 1800)).AddTicks(r.Next(0, 9_999_999)),
    };

    private static T Pick<T>(Random r, T[] items) => items[r.Next(items.Length)];
}
