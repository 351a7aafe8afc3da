using AlsAnalyzer.Testing;
using Envoy.Config.Core.V3;
using Envoy.Data.Accesslog.V3;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Server.Tests.Support;

/// <summary>
/// A deterministic mesh workload, with the figures the API must answer. Mixed Istio
/// generations: reviews-v2 and ratings run an old proxy that logs FlatNode peers.
/// </summary>
internal static class MeshScenario
{
    public const int GatewayCalls = 40;
    public const int ReviewsHttpCalls = 60;
    public const int Reviews5xx = 3;
    public const int ReviewsGrpcCalls = 10;
    public const int DetailsCalls = 20;
    public const int DetailsNoResponse = 2;
    public const int RatingsCalls = 25;
    public const int Ratings5xx = 5;
    public const int ExternalCalls = 4;
    public const int MysqlConnections = 3;
    public const ulong MysqlSentPerConnection = 5000;
    public const ulong MysqlReceivedPerConnection = 700;

    /// <summary>Latencies of the productpage -> reviews HTTP calls: 1..60 ms.</summary>
    public static IEnumerable<double> ReviewsLatenciesMs => Enumerable.Range(1, ReviewsHttpCalls).Select(i => (double)i);

    public static StreamSender Build(DateTimeOffset start)
    {
        var s = new StreamSender();
        var gateway = Nodes.Router(Mesh.Gateway);
        var productpage = Nodes.Sidecar(Mesh.Productpage);

        for (var i = 0; i < GatewayCalls; i++)
        {
            var call = new HttpCall { Source = Mesh.Gateway, Destination = Mesh.Productpage, Path = "/productpage", Start = start };
            s.Http(gateway, Calls.Gateway(call));
            s.Http(productpage, Calls.Inbound(call));
        }

        for (var i = 0; i < ReviewsHttpCalls; i++)
        {
            var v2 = i % 2 == 1;
            var destination = v2 ? Mesh.ReviewsV2 : Mesh.ReviewsV1;
            var call = new HttpCall
            {
                Source = Mesh.Productpage,
                Destination = destination,
                Path = $"/reviews/{i % 3}?user=jason",
                Status = i < Reviews5xx ? 503u : 200u,
                Latency = TimeSpan.FromMilliseconds(i + 1),
                Encoding = v2 ? PeerEncoding.FlatNode : PeerEncoding.Struct,
                Start = start,
            };
            s.Http(productpage, Calls.Outbound(call));
            s.Http(Nodes.Sidecar(destination), Calls.Inbound(call));
        }

        for (var i = 0; i < ReviewsGrpcCalls; i++)
        {
            var call = new HttpCall
            {
                Source = Mesh.Productpage,
                Destination = Mesh.ReviewsV1,
                Method = RequestMethod.Post,
                Path = "/reviews.Reviews/Get",
                Grpc = true,
                Start = start,
            };
            s.Http(productpage, Calls.Outbound(call));
            s.Http(Nodes.Sidecar(Mesh.ReviewsV1), Calls.Inbound(call));
        }

        for (var i = 0; i < DetailsCalls; i++)
        {
            var failed = i < DetailsNoResponse;
            var call = new HttpCall
            {
                Source = Mesh.Productpage,
                Destination = Mesh.Details,
                Path = "/details/" + i,
                Status = failed ? 0u : 200u,
                Flags = failed ? new ResponseFlags { UpstreamConnectionFailure = true } : null,
                Start = start,
            };
            s.Http(productpage, Calls.Outbound(call));
            if (!failed)
            {
                // The connection failed: details never saw these requests.
                s.Http(Nodes.Sidecar(Mesh.Details), Calls.Inbound(call));
            }
        }

        for (var i = 0; i < RatingsCalls; i++)
        {
            var source = i % 2 == 0 ? Mesh.ReviewsV1 : Mesh.ReviewsV2;
            var call = new HttpCall
            {
                Source = source,
                Destination = Mesh.Ratings,
                Path = "/ratings/0",
                Status = i < Ratings5xx ? 500u : 200u,
                Encoding = PeerEncoding.FlatNode,
                Start = start,
            };
            s.Http(Nodes.Sidecar(source), Calls.Outbound(call));
            s.Http(Nodes.Sidecar(Mesh.Ratings), Calls.Inbound(call));
        }

        for (var i = 0; i < ExternalCalls; i++)
        {
            var entry = Calls.Outbound(new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details, Path = "/v1/rates", Start = start });
            entry.CommonProperties.UpstreamCluster = "PassthroughCluster";
            entry.CommonProperties.FilterStateObjects.Clear();
            entry.CommonProperties.UpstreamRemoteAddress = Calls.Socket("198.51.100.20", 443);
            entry.Request.Authority = "api.example.com:443";
            s.Http(productpage, entry);
        }

        for (var i = 0; i < MysqlConnections; i++)
        {
            var conn = new TcpCall
            {
                Source = Mesh.Productpage,
                Destination = Mesh.Mysql,
                SentBytes = MysqlSentPerConnection,
                ReceivedBytes = MysqlReceivedPerConnection,
                Start = start,
            };

            // A periodic report mid-connection carries cumulative counts; it must not add bytes.
            var periodic = conn with { Type = AccessLogType.TcpPeriodic, SentBytes = 1000, ReceivedBytes = 100 };
            s.Tcp(productpage, Calls.TcpOutbound(periodic));
            s.Tcp(Nodes.Sidecar(Mesh.Mysql), Calls.TcpInbound(periodic));
            s.Tcp(productpage, Calls.TcpOutbound(conn));
            s.Tcp(Nodes.Sidecar(Mesh.Mysql), Calls.TcpInbound(conn));
        }

        return s;
    }
}
