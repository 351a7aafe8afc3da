using Envoy.Config.Core.V3;
using Envoy.Data.Accesslog.V3;
using Google.Protobuf.WellKnownTypes;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Benchmarks.Corpus;

/// <summary>
/// HTTP access log entries as an Istio &gt;= 1.24 sidecar (Envoy 1.32) sends them with the
/// default ALS configuration: every timing, wire and header/body bytes, addresses, route and
/// cluster, mTLS properties on the server side, and (optionally) the peer Struct in filter state.
/// </summary>
internal static class EntryFactory
{
    private static readonly string[] HttpUserAgents = ["Go-http-client/1.1", "python-requests/2.31.0", "okhttp/4.12.0", "Java-http-client/17.0.9", "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)"];
    private static readonly string[] GrpcUserAgents = ["grpc-go/1.64.0", "grpc-java-netty/1.63.0", "grpc-dotnet/2.62.0 (.NET 8.0.4; CLR 8.0.4; net8.0; linux; x64)"];
    private static readonly string[] BrowserUserAgents =
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    ];

    /// <summary>One entry reported by <paramref name="reporter"/>'s sidecar: a call it received (inbound) or made (outbound).</summary>
    public static HTTPAccessLogEntry Create(Random random, Mesh mesh, MeshPod reporter, DateTimeOffset start, bool withPeerMetadata)
    {
        var self = reporter.Service;
        var inbound = self.Callees.Count == 0 || random.Next(2) == 0;
        MeshService caller, callee;
        MeshPod callerPod, calleePod;
        if (inbound)
        {
            caller = self.Callers.Count > 0 ? self.Callers[random.Next(self.Callers.Count)] : mesh.Gateway;
            callerPod = caller.Pods[random.Next(caller.Pods.Count)];
            callee = self;
            calleePod = reporter;
        }
        else
        {
            caller = self;
            callerPod = reporter;
            callee = self.Callees[random.Next(self.Callees.Count)];
            calleePod = callee.Pods[random.Next(callee.Pods.Count)];
        }

        var outcome = Outcome.Pick(random);
        var (method, template) = callee.Endpoints[random.Next(callee.Endpoints.Count)];
        var path = template.Replace("{id}", random.Next(16).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var latency = LatencyMicros(random, outcome);
        var requestHeaders = (ulong)random.Next(250, 900);
        var requestBody = method is RequestMethod.Post or RequestMethod.Put ? (ulong)random.Next(callee.Grpc ? 40 : 100, callee.Grpc ? 800 : 3000) : 0UL;
        var responseHeaders = outcome.UpstreamResponded || outcome.Status != 0 ? (ulong)random.Next(120, 400) : 0UL;
        var responseBody = outcome.Status is 0 or 204 or 304 || !outcome.UpstreamResponded ? 0UL : (ulong)Math.Min(200_000, 200 + (int)Math.Exp(random.NextDouble() * 9));
        var requestId = RequestId(random);

        var common = new AccessLogCommon
        {
            SampleRate = 1,
            StartTime = Timestamp.FromDateTimeOffset(start),
            TimeToLastRxByte = Micros(20 + random.Next(requestBody > 0 ? 400 : 80)),
            Duration = Micros(latency + 15),
            AccessLogType = AccessLogType.DownstreamEnd,
            StreamId = requestId,
            ResponseFlags = new ResponseFlags(),
            DownstreamWireBytesReceived = requestHeaders + requestBody + 9,
            DownstreamWireBytesSent = responseHeaders + responseBody + 9,
        };
        outcome.SetFlags?.Invoke(common.ResponseFlags);
        if (outcome.FailureReason.Length > 0)
        {
            common.UpstreamTransportFailureReason = outcome.FailureReason;
        }

        if (outcome.UpstreamConnected)
        {
            common.TimeToFirstUpstreamTxByte = Micros(60 + random.Next(200));
            common.TimeToLastUpstreamTxByte = Micros(80 + random.Next(requestBody > 0 ? 500 : 200));
            common.UpstreamWireBytesSent = requestHeaders + requestBody + 40;
            common.UpstreamRequestAttemptCount = outcome.Attempts;
        }

        if (outcome.UpstreamResponded)
        {
            common.TimeToFirstUpstreamRxByte = Micros(latency * 9 / 10);
            common.TimeToLastUpstreamRxByte = Micros(latency * 98 / 100);
            common.TimeToFirstDownstreamTxByte = Micros((latency * 9 / 10) + 20);
            common.UpstreamWireBytesReceived = responseHeaders + responseBody + 30;
        }

        common.TimeToLastDownstreamTxByte = Micros(latency);

        var ephemeral = (uint)random.Next(32768, 60999);
        if (inbound)
        {
            common.UpstreamCluster = $"inbound|{Mesh.Port}||";
            common.RouteName = "default";
            common.DownstreamRemoteAddress = Socket(callerPod.Ip, ephemeral);
            common.DownstreamDirectRemoteAddress = Socket(callerPod.Ip, ephemeral);
            common.DownstreamLocalAddress = Socket(reporter.Ip, Mesh.Port);
            common.UpstreamRemoteAddress = Socket(reporter.Ip, Mesh.Port);
            common.UpstreamLocalAddress = Socket("127.0.0.6", (uint)random.Next(32768, 60999));
            common.TlsProperties = MutualTls(random, callerPod, reporter);
            if (withPeerMetadata)
            {
                common.FilterStateObjects["downstream_peer"] = IstioMetadata.PeerAny(callerPod);
            }
        }
        else
        {
            var subset = callee.Pods[0].Version != callee.Pods[^1].Version && caller.Index % 2 == 0 ? calleePod.Version : string.Empty;
            common.UpstreamCluster = $"outbound|{Mesh.Port}|{subset}|{callee.Fqdn}";
            common.RouteName = caller.Index % 4 == 0 ? callee.Name + "-vs" : "default";
            common.DownstreamRemoteAddress = Socket(reporter.Ip, ephemeral);
            common.DownstreamDirectRemoteAddress = Socket(reporter.Ip, ephemeral);
            common.DownstreamLocalAddress = Socket(callee.ClusterIp, Mesh.Port);
            if (outcome.UpstreamConnected)
            {
                common.UpstreamRemoteAddress = Socket(calleePod.Ip, Mesh.Port);
                common.UpstreamLocalAddress = Socket(reporter.Ip, (uint)random.Next(32768, 60999));
            }

            if (withPeerMetadata && outcome.UpstreamConnected)
            {
                common.FilterStateObjects["upstream_peer"] = IstioMetadata.PeerAny(calleePod);
            }
        }

        var request = new HTTPRequestProperties
        {
            RequestMethod = method,
            Scheme = "http",
            Authority = caller.IsGateway ? "shop.example.com" : caller.Index % 2 == 0 ? $"{callee.Name}:{Mesh.Port}" : $"{callee.Fqdn}:{Mesh.Port}",
            Path = path,
            UserAgent = UserAgent(caller, callee),
            RequestId = requestId,
            RequestHeadersBytes = requestHeaders,
            RequestBodyBytes = requestBody,
        };
        if (caller.IsGateway)
        {
            request.ForwardedFor = $"203.0.113.{1 + random.Next(250)}";
        }

        var response = new HTTPResponseProperties
        {
            ResponseHeadersBytes = responseHeaders,
            ResponseBodyBytes = responseBody,
            ResponseCodeDetails = outcome.Details,
        };
        if (outcome.Status != 0)
        {
            response.ResponseCode = outcome.Status;
        }

        return new HTTPAccessLogEntry
        {
            CommonProperties = common,
            ProtocolVersion = callee.Grpc ? HTTPAccessLogEntry.Types.HTTPVersion.Http2 : HTTPAccessLogEntry.Types.HTTPVersion.Http11,
            Request = request,
            Response = response,
        };
    }

    private static string UserAgent(MeshService caller, MeshService callee)
    {
        if (caller.IsGateway)
        {
            return BrowserUserAgents[callee.Index % BrowserUserAgents.Length];
        }

        return callee.Grpc
            ? GrpcUserAgents[caller.Index % GrpcUserAgents.Length]
            : HttpUserAgents[caller.Index % HttpUserAgents.Length];
    }

    /// <summary>Log-normal around 6 ms for answered calls; 15 s for timeouts; about 1 ms for local failures.</summary>
    private static long LatencyMicros(Random random, Outcome outcome)
    {
        if (outcome.SetFlags is not null && !outcome.UpstreamResponded)
        {
            return outcome.Status == 504 ? 15_000_000 + random.Next(2_000) : 300 + random.Next(1_500);
        }

        var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return (long)Math.Clamp(6_000 * Math.Exp(0.9 * normal), 200, 5_000_000);
    }

    private static Duration Micros(long micros) => new() { Seconds = micros / 1_000_000, Nanos = (int)(micros % 1_000_000) * 1_000 };

    private static Address Socket(string ip, uint port) =>
        new() { SocketAddress = new SocketAddress { Address = ip, PortValue = port } };

    private static TLSProperties MutualTls(Random random, MeshPod caller, MeshPod self)
    {
        var tls = new TLSProperties
        {
            TlsVersion = TLSProperties.Types.TLSVersion.Tlsv13,
            TlsSniHostname = $"outbound_.{Mesh.Port}_._.{self.Service.Fqdn}",
            LocalCertificateProperties = new TLSProperties.Types.CertificateProperties(),
            PeerCertificateProperties = new TLSProperties.Types.CertificateProperties(),
        };
        tls.LocalCertificateProperties.SubjectAltName.Add(new TLSProperties.Types.CertificateProperties.Types.SubjectAltName { Uri = IstioMetadata.SpiffeId(self) });
        tls.PeerCertificateProperties.SubjectAltName.Add(new TLSProperties.Types.CertificateProperties.Types.SubjectAltName { Uri = IstioMetadata.SpiffeId(caller) });
        if (random.Next(4) == 0)
        {
            tls.TlsSessionId = RequestId(random).Replace("-", string.Empty, StringComparison.Ordinal);
        }

        return tls;
    }

    private static string RequestId(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes).ToString();
    }
}
