using System.Net.Sockets;
using System.Text;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using Envoy.Config.Core.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace AlsAnalyzer.Server.Tests.Ingest;

/// <summary>Bad input gets a clear status or a counted reject, and never costs valid data or other streams.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private AlsTestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await AlsTestServer.StartAsync("MaxReceiveMessageBytes=65536");

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MalformedMessage_MidStream_IsCountedAndTheValidMessagesAroundItAreKept()
    {
        using var client = new AlsClient(_server.GrpcAddress);
        var call = new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details };
        var first = Calls.HttpMessage([Calls.Outbound(call)], Nodes.Sidecar(Mesh.Productpage)).ToByteArray();
        var garbage = new byte[] { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02 };
        var third = Calls.HttpMessage([Calls.Outbound(call), Calls.Outbound(call)]).ToByteArray();

        await client.SendRawAsync([first, garbage, third], Ct);
        var m = await _server.ScrapeAsync();
        var edges = (await _server.GetJsonAsync("/api/v1/topology")).GetProperty("edges");

        Assert.Equal(1, m.Get("als_messages_rejected_total{reason=\"malformed\"}"));
        Assert.Equal(3, m.Get("als_entries_analyzed_total"));
        Assert.Equal(3, edges[0].GetProperty("requests").GetInt64());
        Assert.Single(_server.Logs.AtLeast(LogLevel.Warning), l => l.Contains("malformed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FirstMessageWithoutIdentifier_EndsThatStreamOnlyAndRejectsItsEntries()
    {
        using var client = new AlsClient(_server.GrpcAddress);
        var call = new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details };
        var anonymous = Calls.HttpMessage([Calls.Outbound(call), Calls.Outbound(call)]);
        var good = Calls.HttpMessage([Calls.Outbound(call)], Nodes.Sidecar(Mesh.Productpage));

        var bad = client.SendAsync([anonymous, anonymous], cancellationToken: Ct);
        var fine = client.SendAsync([good], cancellationToken: Ct);
        var ex = await Assert.ThrowsAsync<RpcException>(() => bad);
        await fine;
        var m = await _server.ScrapeAsync();

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("identifier", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(1, m.Get("als_messages_rejected_total{reason=\"missing_identifier\"}"));
        Assert.Equal(2, m.Get("als_entries_rejected_total{reason=\"missing_identifier\"}"));
        Assert.Equal(1, m.Get("als_entries_analyzed_total"));
        Assert.Equal(m.Get("als_entries_received_total"), m.Get("als_entries_analyzed_total") + m.Get("als_entries_unattributed_total") + m.Sum("als_entries_rejected_total"));
    }

    [Fact]
    public async Task OversizedMessage_EndsItsStreamWithResourceExhausted_OthersUnaffected()
    {
        using var client = new AlsClient(_server.GrpcAddress);
        var call = new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details, Path = "/" + new string('x', 80_000) };
        var huge = Calls.HttpMessage([Calls.Outbound(call)], Nodes.Sidecar(Mesh.Productpage));
        var normal = Calls.HttpMessage([Calls.Outbound(call with { Path = "/ok" })], Nodes.Sidecar(Mesh.Productpage));

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.SendAsync([huge], cancellationToken: Ct));
        await client.SendAsync([normal], cancellationToken: Ct);
        var m = await _server.ScrapeAsync();

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal(1, m.Get("als_messages_rejected_total{reason=\"oversized\"}"));
        Assert.Equal(1, m.Get("als_entries_analyzed_total"));
    }

    [Fact]
    public async Task UnknownAnyTypeAndTruncatedFlatNode_LeaveThePeerUnknownAndAreCounted()
    {
        using var client = new AlsClient(_server.GrpcAddress);
        var call = new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details };
        var unknownType = Calls.Inbound(call);
        unknownType.CommonProperties.FilterStateObjects["downstream_peer"] = new Any { TypeUrl = "type.googleapis.com/acme.Peer", Value = ByteString.CopyFromUtf8("?") };
        var truncated = Calls.Inbound(call with { Encoding = PeerEncoding.None });
        var flat = Peers.FlatNodeBytes(Mesh.Productpage);
        truncated.CommonProperties.FilterStateObjects["wasm.downstream_peer"] = new Any
        {
            TypeUrl = Peers.BytesValueType,
            Value = new BytesValue { Value = ByteString.CopyFrom(flat, 0, flat.Length / 3) }.ToByteString(),
        };

        await client.SendAsync([Calls.HttpMessage([unknownType, truncated], Nodes.Sidecar(Mesh.Details))], cancellationToken: Ct);
        var m = await _server.ScrapeAsync();
        var edge = (await _server.GetJsonAsync("/api/v1/topology")).GetProperty("edges")[0];

        Assert.Equal(1, m.Get("als_peer_metadata_errors_total{reason=\"unknown_type\"}"));
        Assert.Equal(1, m.Get("als_peer_metadata_errors_total{reason=\"invalid\"}"));
        Assert.Equal(2, m.Get("als_entries_unattributed_total"));
        // No workload identified: the caller is named by its certificate's SPIFFE identity only.
        Assert.Equal("unknown:default/productpage", edge.GetProperty("source").GetString());
        Assert.Equal(2, edge.GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task Ipv6AndNonSocketAddresses_AreAnalysedWithoutError()
    {
        using var client = new AlsClient(_server.GrpcAddress);
        var call = new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details };
        var ipv6 = Calls.Inbound(call);
        ipv6.CommonProperties.DownstreamRemoteAddress = Calls.Socket("2001:db8::7", 40000);
        ipv6.CommonProperties.DownstreamDirectRemoteAddress = Calls.Socket("2001:db8::7", 40000);
        var pipe = Calls.Outbound(call);
        pipe.CommonProperties.UpstreamRemoteAddress = new Address { Pipe = new Pipe { Path = "/var/run/app.sock" } };
        pipe.CommonProperties.DownstreamLocalAddress = new Address { EnvoyInternalAddress = new EnvoyInternalAddress { ServerListenerName = "connect_originate" } };
        pipe.CommonProperties.DownstreamRemoteAddress = new Address();

        await client.SendAsync([Calls.HttpMessage([ipv6], Nodes.Sidecar(Mesh.Details))], cancellationToken: Ct);
        await client.SendAsync([Calls.HttpMessage([pipe], Nodes.Sidecar(Mesh.Productpage))], cancellationToken: Ct);
        var m = await _server.ScrapeAsync();

        Assert.Equal(2, m.Get("als_entries_analyzed_total"));
        Assert.Empty(_server.Logs.AtLeast(LogLevel.Warning));
    }

    [Fact]
    public async Task LaterIdentifier_ReplacesTheStreamIdentity()
    {
        using var client = new AlsClient(_server.GrpcAddress);
        var fromReviews = Calls.Inbound(new HttpCall { Source = Mesh.Productpage, Destination = Mesh.ReviewsV1 });
        var fromDetails = Calls.Inbound(new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details });

        await client.SendAsync(
            [
                Calls.HttpMessage([fromReviews], Nodes.Sidecar(Mesh.ReviewsV1)),
                Calls.HttpMessage([fromDetails], Nodes.Sidecar(Mesh.Details)),
            ],
            cancellationToken: Ct);
        var targets = (await _server.GetJsonAsync("/api/v1/topology")).GetProperty("edges").EnumerateArray()
            .Select(e => e.GetProperty("target").GetString()).Order(StringComparer.Ordinal);

        Assert.Equal(["default/details", "default/reviews"], targets);
    }

    [Fact]
    public async Task GarbageOnTheIngestPort_IsCountedAndClosed_GrpcStillServed()
    {
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(_server.GrpcAddress.Host, _server.GrpcAddress.Port, Ct);
            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Ct);
            var buffer = new byte[256];
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (IOException)
            {
                read = 0;
            }

            Assert.Equal(0, read);
        }

        using var client = new AlsClient(_server.GrpcAddress);
        await client.SendAsync([Calls.HttpMessage([Calls.Outbound(new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details })], Nodes.Sidecar(Mesh.Productpage))], cancellationToken: Ct);
        var m = await _server.ScrapeAsync();

        Assert.Equal(1, m.Get("als_connections_rejected_total{reason=\"not_http2\"}"));
        Assert.Equal(1, m.Get("als_entries_analyzed_total"));
        Assert.Single(_server.Logs.AtLeast(LogLevel.Warning), l => l.Contains("not_http2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EntriesOutsideRetentionOrInTheFuture_AreRejectedWithTheirReason()
    {
        using var client = new AlsClient(_server.GrpcAddress);
        var call = new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details };
        var old = Calls.Outbound(call with { Start = DateTimeOffset.UtcNow.AddHours(-3) });
        var future = Calls.Outbound(call with { Start = DateTimeOffset.UtcNow.AddHours(1) });
        var now = Calls.Outbound(call);

        await client.SendAsync([Calls.HttpMessage([old, future, now], Nodes.Sidecar(Mesh.Productpage))], cancellationToken: Ct);
        var m = await _server.ScrapeAsync();

        Assert.Equal(1, m.Get("als_entries_rejected_total{reason=\"outside_retention\"}"));
        Assert.Equal(1, m.Get("als_entries_rejected_total{reason=\"future_timestamp\"}"));
        Assert.Equal(1, m.Get("als_entries_analyzed_total"));
    }

    [Fact]
    public async Task V2ServicePath_IsServedByTheSameAnalysis()
    {
        using var client = new AlsClient(_server.GrpcAddress);
        var call = new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details };

        await client.SendAsync([Calls.HttpMessage([Calls.Outbound(call)], Nodes.Sidecar(Mesh.Productpage))], "v2", Ct);
        var m = await _server.ScrapeAsync();

        Assert.Equal(1, m.Get("als_streams_total{api=\"accesslog_v2\"}"));
        Assert.Equal(1, m.Get("als_entries_analyzed_total"));
    }
}
