using System.Net;
using Envoy.Config.Core.V3;
using System.Text.Json;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using static AlsAnalyzer.Server.Tests.Support.MeshScenario;

namespace AlsAnalyzer.Server.Tests.Api;

/// <summary>
/// <c>/api/v1/samples</c> on the real server fed the bookinfo-like mesh through a real gRPC
/// client: the failing and slowest calls behind an edge, with the fields the fast decoder skips.
/// </summary>
public sealed class SampleApiTests : IAsyncLifetime
{
    private const string SecretPath = "/cart/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl";
    private const int GrpcUnavailable = 14;
    private AlsTestServer _server = null!;
    private DateTimeOffset _start;

    public async ValueTask InitializeAsync()
    {
        _server = await AlsTestServer.StartAsync("MaxSamplesPerEdge=10");
        using var client = new AlsClient(_server.GrpcAddress);
        var start = _start = DateTimeOffset.UtcNow.AddSeconds(-30);
        var scenario = Build(start);

        // A failing call whose path holds a token and a query string.
        var call = new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details, Path = SecretPath + "?session=abc", Status = 502, Start = start };
        scenario.Http(Nodes.Sidecar(Mesh.Details), Calls.Inbound(call));

        // A failed gRPC call: HTTP 200, its status UNAVAILABLE in the trailers, seen by both sides.
        var grpc = new HttpCall { Source = Mesh.Productpage, Destination = Mesh.ReviewsV1, Method = RequestMethod.Post, Path = "/reviews.Reviews/Get", Grpc = true, Start = start };
        foreach (var (reporter, entry) in new[] { (Nodes.Sidecar(Mesh.Productpage), Calls.Outbound(grpc)), (Nodes.Sidecar(Mesh.ReviewsV1), Calls.Inbound(grpc)) })
        {
            entry.Response.ResponseTrailers["grpc-status"] = GrpcUnavailable.ToString(System.Globalization.CultureInfo.InvariantCulture);
            entry.Response.ResponseTrailers["grpc-message"] = "no healthy upstream";
            scenario.Http(reporter, entry);
        }

        await scenario.SendAsync(client);
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Samples_FailingEdge_ListsItsFailingCallsFromBothSidesWithTheirDetails()
    {
        var samples = await SamplesAsync("default/productpage", "default/reviews");

        var failing = samples.Where(s => Kinds(s).Contains("failing") && s.GetProperty("protocol").GetString() == "http").ToList();
        Assert.Equal(Reviews5xx * 2, failing.Count);
        Assert.Equal(Reviews5xx, failing.Count(s => s.GetProperty("reporter").GetString() == "client"));
        Assert.All(failing, s =>
        {
            Assert.Equal(503, s.GetProperty("status").GetInt32());
            Assert.Equal("GET", s.GetProperty("method").GetString());
            Assert.Equal("/reviews/{id}", s.GetProperty("path").GetString()); // ids grouped, as every endpoint
            Assert.True(Guid.TryParse(s.GetProperty("requestId").GetString(), out _));
            Assert.Equal("via_upstream", s.GetProperty("responseCodeDetails").GetString());
            Assert.True(s.GetProperty("error").GetBoolean());
            Assert.True(s.GetProperty("latencyMs").GetDouble() is >= 1 and <= 3);
        });
        Assert.Equal(Reviews5xx * 2, failing.Select(s => s.GetProperty("requestId").GetString()).Distinct().Count());
        Assert.All(failing.Where(s => s.GetProperty("reporter").GetString() == "client"), s =>
            Assert.StartsWith("outbound|9080||reviews.", s.GetProperty("upstreamCluster").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Samples_NoResponseWithAFlag_IsFailing_WithTimeSideFlagsDetailsAndUpstreamHost()
    {
        var samples = await SamplesAsync("default/productpage", "default/details");

        // The connection failed: only the caller's sidecar logged these calls, without a status.
        var failed = samples.Where(s => s.GetProperty("status").GetInt32() == 0).ToList();
        Assert.Equal(DetailsNoResponse, failed.Count);
        Assert.All(failed, s =>
        {
            Assert.Contains("failing", Kinds(s));
            Assert.True(s.GetProperty("error").GetBoolean());
            Assert.Equal("client", s.GetProperty("reporter").GetString());
            Assert.Equal("http", s.GetProperty("protocol").GetString());
            Assert.Equal("GET", s.GetProperty("method").GetString());
            Assert.StartsWith("/details/", s.GetProperty("path").GetString(), StringComparison.Ordinal);
            Assert.Equal(["UF"], s.GetProperty("responseFlags").EnumerateArray().Select(f => f.GetString()));
            Assert.Equal("upstream_reset_before_response_started", s.GetProperty("responseCodeDetails").GetString());
            Assert.Equal(JsonValueKind.Null, s.GetProperty("grpcStatus").ValueKind);
            Assert.Equal($"{Mesh.Details.Ip}:9080", s.GetProperty("upstreamHost").GetString());
            Assert.True(Guid.TryParse(s.GetProperty("requestId").GetString(), out _));

            // The time the call started, as the proxy logged it.
            Assert.Equal(_start.ToUnixTimeMilliseconds(), s.GetProperty("time").GetDateTimeOffset().ToUnixTimeMilliseconds());
        });
    }

    [Fact]
    public async Task Samples_GrpcErrorUnderHttp200_IsFailing_WithItsGrpcStatusFromBothSides()
    {
        var samples = await SamplesAsync("default/productpage", "default/reviews");

        var failing = samples.Where(s => s.GetProperty("protocol").GetString() == "grpc" && Kinds(s).Contains("failing")).ToList();
        Assert.Equal(["client", "server"], failing.Select(s => s.GetProperty("reporter").GetString()).Order(StringComparer.Ordinal));
        Assert.All(failing, s =>
        {
            Assert.Equal(200, s.GetProperty("status").GetInt32());
            Assert.Equal(GrpcUnavailable, s.GetProperty("grpcStatus").GetInt32());
            Assert.True(s.GetProperty("error").GetBoolean());
            Assert.Equal("POST", s.GetProperty("method").GetString());
            Assert.Equal("/reviews.Reviews/Get", s.GetProperty("path").GetString());
            Assert.Equal($"{Mesh.ReviewsV1.Ip}:9080", s.GetProperty("upstreamHost").GetString());
            Assert.Empty(s.GetProperty("responseFlags").EnumerateArray());
        });

        // The edge's other gRPC calls (no grpc-status trailer) are kept as slow only, without a status.
        Assert.All(samples.Where(s => s.GetProperty("protocol").GetString() == "grpc" && !Kinds(s).Contains("failing")), s =>
            Assert.Equal(JsonValueKind.Null, s.GetProperty("grpcStatus").ValueKind));
    }

    [Fact]
    public async Task Samples_SlowestCalls_AreTheSlowestOfTheEdgePerSide()
    {
        var samples = await SamplesAsync("default/productpage", "default/reviews");

        var slow = samples.Where(s => Kinds(s).Contains("slow") && s.GetProperty("protocol").GetString() == "http").ToList();
        foreach (var side in new[] { "client", "server" })
        {
            // Latencies are 1..60 ms, each reported by both sides: the ten kept are 56..60 twice.
            var latencies = slow.Where(s => s.GetProperty("reporter").GetString() == side).Select(s => s.GetProperty("latencyMs").GetDouble()).Order();
            Assert.Equal([56.0, 57.0, 58.0, 59.0, 60.0], latencies);
        }
    }

    [Fact]
    public async Task Samples_PathWithSecretAndQuery_IsRedactedAndCut()
    {
        var samples = await SamplesAsync("default/productpage", "default/details");

        var sample = Assert.Single(samples, s => s.GetProperty("status").GetInt32() == 502);
        Assert.Equal("/cart/{redacted}", sample.GetProperty("path").GetString());
        Assert.DoesNotContain("session", sample.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Samples_TcpEdgeAndWindowBeforeTheTraffic_AnswerAccordingly()
    {
        Assert.Empty(await SamplesAsync("default/productpage", "default/reviews", "&from=2020-01-01T00:00:00Z&to=2020-01-01T01:00:00Z"));
        Assert.Empty(await SamplesAsync("default/productpage", "nowhere/none"));
    }

    [Theory]
    [InlineData("unknown", "istio-system/istio-ingressgateway", GatewayCalls)]
    [InlineData("default/productpage", "external:api.example.com", ExternalCalls)]
    public async Task Samples_EdgesFromOutsideTheMeshAndToExternalHosts_AreQueriedByTheirNodeIds(string source, string target, int calls)
    {
        var samples = await SamplesAsync(source, target);

        // Every call took 10 ms, as many as the reservoir holds are the slowest; none failed.
        Assert.Equal(Math.Min(calls, 10), samples.Count);
        Assert.All(samples, s =>
        {
            Assert.Equal(["slow"], Kinds(s));
            Assert.Equal(10, s.GetProperty("latencyMs").GetDouble());
            Assert.Equal(200, s.GetProperty("status").GetInt32());
        });
    }

    [Theory]
    [InlineData("?target=default/reviews", "'source'")]
    [InlineData("?source=default/productpage", "'target'")]
    [InlineData("?source=&target=default/reviews", "'source'")]
    [InlineData("?source=default/productpage&target=default/reviews&from=yesterday", "'from'")]
    [InlineData("?source=default/productpage&target=default/reviews&to=1e9", "'to'")]
    public async Task Samples_BadParameter_Is400NamingIt(string query, string parameter)
    {
        using var response = await _server.Http.GetAsync("/api/v1/samples" + query, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Contains(parameter, body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_CountTheSampledEdgesAndSamples()
    {
        // A query folds the shards first.
        await SamplesAsync("default/productpage", "default/reviews");

        var metrics = await _server.ScrapeAsync();

        // Every HTTP edge has a slowest call; the TCP edge has no latency and no failure.
        Assert.Equal(7, metrics["als_sample_edges"]);
        Assert.True(metrics["als_samples_held"] >= 10);
        Assert.Equal(0, metrics["als_sample_edges_evicted_total{reason=\"max_edges\"}"]);
        Assert.Equal(0, metrics["als_sample_edges_evicted_total{reason=\"memory_budget\"}"]);
        Assert.Equal(0, metrics["als_samples_without_details_total{reason=\"memory_budget\"}"]);
        Assert.InRange(metrics["als_memory_estimated_bytes{share=\"samples\"}"], metrics["als_samples_held"] * 200, metrics["als_memory_budget_bytes{share=\"samples\"}"]);
    }

    private static IEnumerable<string?> Kinds(JsonElement sample) => sample.GetProperty("kinds").EnumerateArray().Select(k => k.GetString());

    private async Task<List<JsonElement>> SamplesAsync(string source, string target, string extra = "")
    {
        var json = await _server.GetJsonAsync($"/api/v1/samples?source={Uri.EscapeDataString(source)}&target={Uri.EscapeDataString(target)}{extra}");
        Assert.Equal(source, json.GetProperty("source").GetString());
        return [.. json.GetProperty("samples").EnumerateArray()];
    }
}
