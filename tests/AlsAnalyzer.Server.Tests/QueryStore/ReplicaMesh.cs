using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using Envoy.Config.Core.V3;
using Envoy.Data.Accesslog.V3;

namespace AlsAnalyzer.Server.Tests.QueryStore;

/// <summary>
/// A sidecar mesh for the replica tests: HTTP with 5xx, a connection failure (UF), gRPC,
/// plaintext and mutual-TLS calls, old-proxy (FlatNode) peers, latencies across several Envoy
/// buckets, and TCP with periodic entries. No gateway: a gateway's inbound half is not in
/// Istio's series (see README, "Several replicas").
/// </summary>
internal static class ReplicaMesh
{
    public static StreamSender Build(DateTimeOffset start)
    {
        var s = new StreamSender();
        var productpage = Nodes.Sidecar(Mesh.Productpage);
        for (var i = 0; i < 60; i++)
        {
            var v2 = i % 2 == 1;
            var destination = v2 ? Mesh.ReviewsV2 : Mesh.ReviewsV1;
            var call = new HttpCall
            {
                Source = Mesh.Productpage,
                Destination = destination,
                Path = $"/reviews/{i % 3}",
                Status = i < 3 ? 503u : i < 7 ? 404u : 200u,
                Latency = TimeSpan.FromMilliseconds((i * 3) + 2),
                Encoding = v2 ? PeerEncoding.FlatNode : PeerEncoding.Struct,
                Start = start.AddMilliseconds(i * 10),
            };
            s.Http(productpage, Calls.Outbound(call));
            s.Http(Nodes.Sidecar(destination), Calls.Inbound(call));
        }

        for (var i = 0; i < 10; i++)
        {
            var call = new HttpCall
            {
                Source = Mesh.Productpage,
                Destination = Mesh.ReviewsV1,
                Method = RequestMethod.Post,
                Path = "/reviews.Reviews/Get",
                Grpc = true,
                Latency = TimeSpan.FromMilliseconds(3),
                Start = start,
            };
            s.Http(productpage, Calls.Outbound(call));
            s.Http(Nodes.Sidecar(Mesh.ReviewsV1), Calls.Inbound(call));
        }

        for (var i = 0; i < 20; i++)
        {
            var failed = i < 2;
            var call = new HttpCall
            {
                Source = Mesh.Productpage,
                Destination = Mesh.Details,
                Path = "/details/" + i,
                Status = failed ? 0u : 200u,
                Flags = failed ? new ResponseFlags { UpstreamConnectionFailure = true } : null,
                Latency = TimeSpan.FromMilliseconds(40),
                Start = start,
            };
            s.Http(productpage, Calls.Outbound(call));
            if (!failed)
            {
                s.Http(Nodes.Sidecar(Mesh.Details), Calls.Inbound(call));
            }
        }

        for (var i = 0; i < 25; i++)
        {
            var source = i % 2 == 0 ? Mesh.ReviewsV1 : Mesh.ReviewsV2;
            var call = new HttpCall
            {
                Source = source,
                Destination = Mesh.Ratings,
                Path = "/ratings/0",
                Status = i < 5 ? 500u : 200u,
                Mtls = i % 5 != 0,
                Encoding = PeerEncoding.FlatNode,
                Latency = TimeSpan.FromMilliseconds(700 + i),
                Start = start,
            };
            s.Http(Nodes.Sidecar(source), Calls.Outbound(call));
            s.Http(Nodes.Sidecar(Mesh.Ratings), Calls.Inbound(call));
        }

        for (var i = 0; i < 4; i++)
        {
            var conn = new TcpCall { Source = Mesh.Productpage, Destination = Mesh.Mysql, SentBytes = 5000, ReceivedBytes = 700, Start = start };
            var periodic = conn with { Type = AccessLogType.TcpPeriodic, SentBytes = 1000, ReceivedBytes = 100 };

            // Added in pairs: a connection's entries stay on one worker stream (StreamSender.SendSplitAsync).
            s.Tcp(productpage, Calls.TcpOutbound(periodic));
            s.Tcp(productpage, Calls.TcpOutbound(conn));
            s.Tcp(Nodes.Sidecar(Mesh.Mysql), Calls.TcpInbound(periodic));
            s.Tcp(Nodes.Sidecar(Mesh.Mysql), Calls.TcpInbound(conn));
        }

        return s;
    }
}
