using System.Text.Json;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using static AlsAnalyzer.Server.Tests.Support.MeshScenario;

namespace AlsAnalyzer.Server.Tests.Api;

/// <summary>The real server, a real gRPC client streaming a bookinfo-like mesh, the API checked exactly.</summary>
public sealed class MeshTopologyTests : IAsyncLifetime
{
    private AlsTestServer _server = null!;
    private int _entriesSent;

    public async ValueTask InitializeAsync()
    {
        _server = await AlsTestServer.StartAsync();
        using var client = new AlsClient(_server.GrpcAddress);
        var scenario = Build(DateTimeOffset.UtcNow.AddSeconds(-30));
        _entriesSent = scenario.Entries;
        await scenario.SendAsync(client);
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Topology_BookinfoMesh_HasExactlyTheExpectedNodesAndKinds()
    {
        var topology = await _server.GetJsonAsync("/api/v1/topology");

        var nodes = topology.GetProperty("nodes").EnumerateArray()
            .ToDictionary(n => n.GetProperty("id").GetString()!, n => n.GetProperty("kind").GetString());
        Assert.Equal(
            new Dictionary<string, string?>
            {
                ["unknown"] = "unknown",
                ["istio-system/istio-ingressgateway"] = "gateway",
                ["default/productpage"] = "service",
                ["default/reviews"] = "service",
                ["default/details"] = "service",
                ["default/ratings"] = "service",
                ["data/mysql"] = "service",
                ["external:api.example.com"] = "external",
            },
            nodes);
        Assert.Empty(_server.Logs.AtLeast(Microsoft.Extensions.Logging.LogLevel.Warning));
    }

    [Fact]
    public async Task Topology_BookinfoMesh_HasExactlyTheExpectedEdges()
    {
        var edges = Edges(await _server.GetJsonAsync("/api/v1/topology"));

        Assert.Equal(
            [
                "data/mysql",
                "default/details",
                "default/productpage",
                "default/ratings",
                "default/reviews",
                "default/reviews",
                "external:api.example.com",
                "istio-system/istio-ingressgateway",
            ],
            edges.Values.Select(e => e.GetProperty("target").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(8, edges.Count);
    }

    [Fact]
    public async Task Topology_CallsReportedByBothSidecars_AreCountedOnceWithBothSidesKept()
    {
        var edges = Edges(await _server.GetJsonAsync("/api/v1/topology"));

        var reviews = edges["default/productpage -> default/reviews http"];
        Assert.Equal("server", reviews.GetProperty("reportedBy").GetString());
        Assert.Equal(ReviewsHttpCalls, reviews.GetProperty("requests").GetInt64());
        Assert.Equal(Reviews5xx, reviews.GetProperty("errors").GetInt64());
        Assert.Equal(Reviews5xx, reviews.GetProperty("statusCodes").GetProperty("5xx").GetInt64());
        Assert.Equal(ReviewsHttpCalls - Reviews5xx, reviews.GetProperty("statusCodes").GetProperty("2xx").GetInt64());
        Assert.Equal(ReviewsHttpCalls, reviews.GetProperty("client").GetProperty("requests").GetInt64());
        Assert.Equal(ReviewsHttpCalls, reviews.GetProperty("server").GetProperty("requests").GetInt64());
        Assert.Equal(1.0, reviews.GetProperty("mtls").GetDouble());
        Assert.Equal(JsonValueKind.Null, reviews.GetProperty("client").GetProperty("mtls").ValueKind);

        var ingress = edges["istio-system/istio-ingressgateway -> default/productpage http"];
        Assert.Equal(GatewayCalls, ingress.GetProperty("requests").GetInt64());
        Assert.Equal(GatewayCalls, ingress.GetProperty("client").GetProperty("requests").GetInt64());

        var ratings = edges["default/reviews -> default/ratings http"];
        Assert.Equal(RatingsCalls, ratings.GetProperty("requests").GetInt64());
        Assert.Equal(Ratings5xx, ratings.GetProperty("errors").GetInt64());
    }

    [Fact]
    public async Task Topology_ServerNeverReached_TopLevelIsServerSideAndClientKeepsFailures()
    {
        var edges = Edges(await _server.GetJsonAsync("/api/v1/topology"));

        var details = edges["default/productpage -> default/details http"];
        Assert.Equal(DetailsCalls - DetailsNoResponse, details.GetProperty("requests").GetInt64());
        Assert.Equal(0, details.GetProperty("errors").GetInt64());
        var client = details.GetProperty("client");
        Assert.Equal(DetailsCalls, client.GetProperty("requests").GetInt64());
        Assert.Equal(DetailsNoResponse, client.GetProperty("errors").GetInt64());
        Assert.Equal(DetailsNoResponse, client.GetProperty("statusCodes").GetProperty("0").GetInt64());
        Assert.Equal(DetailsNoResponse, client.GetProperty("responseFlags").GetProperty("UF").GetInt64());
    }

    [Fact]
    public async Task Topology_ClientOnlyAndGatewayEdges_UseTheSideThatReported()
    {
        var edges = Edges(await _server.GetJsonAsync("/api/v1/topology"));

        var external = edges["default/productpage -> external:api.example.com http"];
        Assert.Equal("client", external.GetProperty("reportedBy").GetString());
        Assert.Equal(ExternalCalls, external.GetProperty("requests").GetInt64());
        Assert.False(external.TryGetProperty("server", out _));

        var outside = edges["unknown -> istio-system/istio-ingressgateway http"];
        Assert.Equal("server", outside.GetProperty("reportedBy").GetString());
        Assert.Equal(GatewayCalls, outside.GetProperty("requests").GetInt64());
        Assert.False(outside.TryGetProperty("client", out _));
    }

    [Fact]
    public async Task Topology_GrpcOverHttp2WithoutContentType_IsDetectedFromThePath()
    {
        var edges = Edges(await _server.GetJsonAsync("/api/v1/topology"));

        var grpc = edges["default/productpage -> default/reviews grpc"];
        Assert.Equal(ReviewsGrpcCalls, grpc.GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task Topology_TcpWithPeriodicReports_CountsConnectionsAndFinalBytesOnce()
    {
        var edges = Edges(await _server.GetJsonAsync("/api/v1/topology"));

        var mysql = edges["default/productpage -> data/mysql tcp"];
        Assert.Equal(MysqlConnections, mysql.GetProperty("connections").GetInt64());
        Assert.Equal((long)(MysqlConnections * MysqlSentPerConnection), mysql.GetProperty("bytesSent").GetInt64());
        Assert.Equal((long)(MysqlConnections * MysqlReceivedPerConnection), mysql.GetProperty("bytesReceived").GetInt64());
        Assert.Equal(MysqlConnections, mysql.GetProperty("client").GetProperty("connections").GetInt64());
        Assert.False(mysql.TryGetProperty("requests", out _));
        Assert.False(mysql.TryGetProperty("latencyMs", out _));
    }

    [Fact]
    public async Task Topology_Latency_PercentilesWithinFivePercentOfExact()
    {
        var edges = Edges(await _server.GetJsonAsync("/api/v1/topology"));
        var latency = edges["default/productpage -> default/reviews http"].GetProperty("latencyMs");
        var exact = ReviewsLatenciesMs.Order().ToArray();

        Assert.Equal(exact.Average(), latency.GetProperty("avg").GetDouble(), 3);
        foreach (var (name, q) in new[] { ("p50", 0.50), ("p90", 0.90), ("p95", 0.95), ("p99", 0.99) })
        {
            var expected = exact[(int)Math.Ceiling(q * exact.Length) - 1];
            var actual = latency.GetProperty(name).GetDouble();
            Assert.True(Math.Abs(actual - expected) <= 0.05 * expected, $"{name}: {actual} ms, exact {expected} ms");
        }
    }

    [Fact]
    public async Task Topology_NamespaceFilter_KeepsNamespaceNodesAndDirectNeighbours()
    {
        var topology = await _server.GetJsonAsync("/api/v1/topology?namespace=data");

        var ids = topology.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(["data/mysql", "default/productpage"], ids);
        Assert.Equal(1, topology.GetProperty("edges").GetArrayLength());
    }

    [Fact]
    public async Task Services_Reviews_SumsServerReportedInboundTraffic()
    {
        var services = await _server.GetJsonAsync("/api/v1/services");

        var reviews = services.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("id").GetString() == "default/reviews");
        Assert.Equal(ReviewsHttpCalls + ReviewsGrpcCalls, reviews.GetProperty("requests").GetInt64());
        Assert.Equal(Reviews5xx, reviews.GetProperty("errors").GetInt64());
        Assert.Equal((ReviewsHttpCalls + ReviewsGrpcCalls) / (15 * 60.0), reviews.GetProperty("requestRate").GetDouble(), 3);
        var gateway = services.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("id").GetString() == "istio-system/istio-ingressgateway");
        Assert.Equal("gateway", gateway.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task ServiceDetail_Reviews_ListsInstancesEndpointsAndEdges()
    {
        var detail = await _server.GetJsonAsync("/api/v1/services/default/reviews");

        var instances = detail.GetProperty("instances").EnumerateArray().ToDictionary(i => i.GetProperty("name").GetString()!, i => i.GetProperty("inbound").GetInt64());
        Assert.Equal((ReviewsHttpCalls / 2) + ReviewsGrpcCalls, instances[Mesh.ReviewsV1.Pod]);
        Assert.Equal(ReviewsHttpCalls / 2, instances[Mesh.ReviewsV2.Pod]);
        var endpoints = detail.GetProperty("endpoints").EnumerateArray().ToDictionary(e => e.GetProperty("endpoint").GetString()!, e => e.GetProperty("requests").GetInt64());
        Assert.Equal(
            new Dictionary<string, long>
            {
                // The scenario's /reviews/0, /reviews/1 and /reviews/2 are one endpoint (default grouping).
                ["GET /reviews/{id}"] = ReviewsHttpCalls,
                ["POST /reviews.Reviews/Get"] = ReviewsGrpcCalls,
            },
            endpoints);
        Assert.Equal(2, detail.GetProperty("inbound").GetArrayLength());
        Assert.Equal(1, detail.GetProperty("outbound").GetArrayLength());
    }

    [Fact]
    public async Task Metrics_AfterMesh_AccountForEveryEntrySent()
    {
        var m = await _server.ScrapeAsync();

        var received = m.Get("als_entries_received_total");
        Assert.Equal(_entriesSent, received);
        Assert.Equal(received, m.Get("als_entries_analyzed_total") + m.Get("als_entries_unattributed_total") + m.Sum("als_entries_rejected_total"));

        // Only the gateway's entries have an unidentifiable (outside) caller.
        Assert.Equal(GatewayCalls, m.Get("als_entries_unattributed_total"));
        Assert.Equal(0, m.Sum("als_entries_rejected_total"));
    }

    [Fact]
    public async Task ServiceDetail_UnknownService_Is404()
    {
        using var response = await _server.Http.GetAsync(new Uri("/api/v1/services/default/nope", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }

    private static Dictionary<string, JsonElement> Edges(JsonElement topology) =>
        topology.GetProperty("edges").EnumerateArray().ToDictionary(
            e => $"{e.GetProperty("source").GetString()} -> {e.GetProperty("target").GetString()} {e.GetProperty("protocol").GetString()}");
}
