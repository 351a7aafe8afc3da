using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlsAnalyzer.Testing;
using Microsoft.Extensions.Logging;

namespace AlsAnalyzer.Interop.Tests;

/// <summary>
/// A metrics service client we did not write the serializer of — Node.js @grpc/grpc-js with
/// proto-loader over the official envoy/service/metrics/v3/metrics_service.proto and the official
/// Prometheus client model (proto2, from Debian's package, fetched at test time) — streams three
/// sidecars' stats flushes to the real server, over v3 and v2, one of them restarting; what the HTTP API answers about the
/// proxies, their clusters and the topology edge they feed must then match the scenario exactly.
/// The scenario is fixed in tests/interop/metrics-client.mjs; the figures expected here are
/// derived from it by hand.
/// </summary>
public sealed class NodeMetricsClientInteropTests(NodeClient node, PrometheusClientModel prometheus) : IClassFixture<PrometheusClientModel>
{
    private const string Script = "metrics-client.mjs";

    private const string ReviewsCluster = "outbound|9080||reviews.default.svc.cluster.local";
    private const string InboundCluster = "inbound|9080||";

    // The three proxies, in the API's order (by node id).
    private const string FlatProductpage = "sidecar~10.244.1.10~productpage-v1-7f99cc4496-abcde.default~default.svc.cluster.local";
    private const string V2Details = "sidecar~10.244.1.13~details-v1-65cfcf56f9-7xq2n.default~default.svc.cluster.local";
    private const string TaggedProductpage = "sidecar~10.244.1.16~productpage-v1-7f99cc4496-fghij.default~default.svc.cluster.local";

    /// <summary>Every query asks for the same explicit 15 minutes: rates are per this many seconds.</summary>
    private const double WindowSeconds = 15 * 60;

    private static readonly TimeSpan ClientTimeout = TimeSpan.FromMinutes(2);

    // The same workloads as the script's, for the access log entries sent from C#.
    private static readonly Workload Productpage = new("default", "productpage", "v1", "productpage-v1-7f99cc4496-abcde", "10.244.1.10");
    private static readonly Workload ReviewsV1 = new("default", "reviews", "v1", "reviews-v1-5b5d6494f4-k8s2m", "10.244.1.11");
    private static readonly Workload ReviewsV2 = new("default", "reviews", "v2", "reviews-v2-7d79d5bd5d-q9wlz", "10.244.1.12");
    private static readonly Workload Details = new("default", "details", "v1", "details-v1-65cfcf56f9-7xq2n", "10.244.1.13");

    // productpage-v1-...-abcde, flat names: three flushes; counters from the first one (the
    // baseline) to the last: upstream_rq_total 1000 -> 1250, retry 5 -> 8, pending_overflow 0 -> 4,
    // timeout 1 -> 2, connect_fail 0 -> 1; the gauges' last values.
    private static readonly Figures FlatReviews = new(
        Requests: 250, Retries: 3, Timeouts: 1, ConnectionFailures: 1, PendingOverflows: 4,
        ActiveRequests: 5, PendingRequests: 0, ActiveConnections: 12, HealthyMembers: 2, Members: 3);

    // productpage-v1-...-fghij, tag-extracted names, restarted before its third flush (sent on a
    // new stream): the increase is the second flush's plus the whole third value. upstream_rq_total 400, 460, 30
    // (60 + 30); retry 2, 3, 1 (1 + 1); pending_overflow 1, 2, 1 (1 + 1); timeout 0; connect_fail
    // 0, 2, 0 (2 + 0).
    private static readonly Figures TaggedReviews = new(
        Requests: 60 + 30, Retries: 1 + 1, Timeouts: 0, ConnectionFailures: 2 + 0, PendingOverflows: 1 + 1,
        ActiveRequests: 2, PendingRequests: 1, ActiveConnections: 4, HealthyMembers: 2, Members: 3);

    // details (v2): its inbound cluster, upstream_rq_total 700 -> 711, upstream_cx_active 3 then 2.
    private static readonly Figures DetailsInbound = new(Requests: 11, ActiveConnections: 2);

    [Fact]
    public async Task NodeGrpcJsMetricsClient_StreamsEnvoyStatsWithOfficialProtos_ProxiesAndEdgeMatchScenarioExactly()
    {
        // Arrange
        var cancellationToken = TestContext.Current.CancellationToken;
        var output = TestContext.Current.TestOutputHelper;
        await using var server = await AlsTestServer.StartAsync();
        var startedAt = DateTimeOffset.UtcNow;
        var window = $"from={startedAt.AddMinutes(-10).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}"
            + $"&to={startedAt.AddMinutes(5).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}";
        output?.WriteLine($"Prometheus client model: {prometheus.Origin} in {prometheus.IncludeDirectory}");

        // Act: the stats flushes from Node.js, then a few access log entries of productpage's.
        var run = await node.RunAsync(Script, [server.GrpcAddress.ToString(), prometheus.IncludeDirectory], ClientTimeout, cancellationToken);
        output?.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
        var sentAt = DateTimeOffset.UtcNow;
        using var summary = JsonDocument.Parse(run.Stdout.Trim().Split('\n')[^1]);

        var proxies = await server.GetJsonAsync($"/api/v1/proxies?{window}");
        var requested = await server.GetJsonAsync(
            $"/api/v1/proxies?{window}&stat=server.uptime&stat=listener.0.0.0.0_15006.downstream_cx_total&stat=http.inbound_0.0.0.0_9080.downstream_rq_time"
            + $"&stat=http.downstream_rq_time&stat=cluster.upstream_rq_total&stat={Uri.EscapeDataString($"cluster.{ReviewsCluster}.upstream_rq_total")}"
            + "&stat=server.hot_restart_epoch");
        var productpageProxies = await server.GetJsonAsync($"/api/v1/proxies?{window}&service=default/productpage");

        using (var als = new AlsClient(server.GrpcAddress))
        {
            await als.SendAsync(
                [
                    Calls.HttpMessage(
                        [
                            Calls.Outbound(new HttpCall { Source = Productpage, Destination = ReviewsV1, Path = "/reviews/0" }),
                            Calls.Outbound(new HttpCall { Source = Productpage, Destination = ReviewsV2, Path = "/reviews/0" }),
                            Calls.Outbound(new HttpCall { Source = Productpage, Destination = Details, Path = "/details/0" }),
                        ],
                        Nodes.Sidecar(Productpage)),
                ],
                cancellationToken: cancellationToken);
        }

        var topology = await server.GetJsonAsync($"/api/v1/topology?{window}");
        var productpageDetail = await server.GetJsonAsync($"/api/v1/services/default/productpage?{window}");
        var detailsDetail = await server.GetJsonAsync($"/api/v1/services/default/details?{window}");
        var metrics = await server.ScrapeAsync();
        output?.WriteLine(proxies.ToString());
        output?.WriteLine(topology.ToString());

        // Assert: what the client says it sent. Per flush: productpage (flat) 6 server gauges,
        // 1 listener counter, 5 cluster counters, 5 cluster gauges and a summary and a histogram
        // (19); productpage (tagged) the same without the listener counter (18); details 6 server
        // gauges, 1 cluster counter and 1 cluster gauge (8). One metric per family.
        var sent = summary.RootElement;
        Assert.Equal("proto2", sent.GetProperty("prometheus").GetProperty("syntax").GetString());
        Assert.Equal(prometheus.Origin, sent.GetProperty("prometheus").GetProperty("origin").GetString());

        // The tagged productpage's third flush comes after its Envoy restarted, on a stream of its own.
        Assert.Equal(
            [
                ("v3", FlatProductpage, 1, false, 3, 3 * 19),
                ("v3", TaggedProductpage, 1, true, 2, 2 * 18),
                ("v3", TaggedProductpage, 2, true, 1, 18),
                ("v2", V2Details, 1, false, 2, 2 * 8),
            ],
            sent.GetProperty("streams").EnumerateArray()
                .Select(s => (
                    s.GetProperty("api").GetString(),
                    s.GetProperty("node").GetString(),
                    s.GetProperty("phase").GetInt32(),
                    s.GetProperty("tagsAsLabels").GetBoolean(),
                    s.GetProperty("messages").GetInt32(),
                    s.GetProperty("samples").GetInt32()))
                .ToList());
        Assert.Equal(8, sent.GetProperty("messages").GetInt64());
        Assert.Equal(127, sent.GetProperty("samples").GetInt64());
        Assert.Equal(127, sent.GetProperty("families").GetInt64());

        // Assert: the proxies, every figure. lastReport is the server's clock at the last flush.
        var proxyList = proxies.GetProperty("proxies");
        Assert.All(proxyList.EnumerateArray(), p =>
        {
            var lastReport = p.GetProperty("lastReport").GetDateTimeOffset();
            Assert.True(lastReport >= startedAt.AddSeconds(-1) && lastReport <= sentAt.AddSeconds(1), $"{p.GetProperty("id")}: lastReport {lastReport:O}, expected between {startedAt:O} and {sentAt:O}");
        });
        JsonAssert.Equivalent(new JsonArray(FlatProductpageProxy(), V2DetailsProxy(), TaggedProductpageProxy()), proxyList, "/api/v1/proxies", "lastReport");
        JsonAssert.Equivalent(new JsonArray(FlatProductpageProxy(), TaggedProductpageProxy()), productpageProxies.GetProperty("proxies"), "/api/v1/proxies?service=default/productpage", "lastReport");

        // Assert: requested stats, by their stored names: flat, or tag-extracted with the labels;
        // a distribution twice (#summary, #histogram). Distributions count the flush intervals'
        // samples (10 + 12 + 8 and 4 + 6 + 3); quantiles are the last summary's (nearest rank of
        // 1 2 2 3 4 6 9 13, and of 3 5 7). A stat nobody sent is left out.
        var flatQuantiles = new[] { ("0", 1.0), ("0.25", 2), ("0.5", 3), ("0.75", 6), ("0.9", 13), ("0.95", 13), ("0.99", 13), ("0.995", 13), ("0.999", 13), ("1", 13) };
        var taggedQuantiles = new[] { ("0", 3.0), ("0.25", 3), ("0.5", 5), ("0.75", 7), ("0.9", 7), ("0.95", 7), ("0.99", 7), ("0.995", 7), ("0.999", 7), ("1", 7) };
        var expectedStats = new Dictionary<string, JsonObject>
        {
            [FlatProductpage] = new()
            {
                ["server.uptime"] = GaugeStat(3610),
                ["listener.0.0.0.0_15006.downstream_cx_total"] = CounterStat(value: 120, increase: 20),
                [$"cluster.{ReviewsCluster}.upstream_rq_total"] = CounterStat(value: 1250, increase: 250),
                ["http.inbound_0.0.0.0_9080.downstream_rq_time#summary"] = DistributionStat(value: 8, increase: 10 + 12 + 8, flatQuantiles),
                ["http.inbound_0.0.0.0_9080.downstream_rq_time#histogram"] = DistributionStat(value: 8, increase: 10 + 12 + 8, []),
            },
            [V2Details] = new()
            {
                ["server.uptime"] = GaugeStat(86405),
            },
            [TaggedProductpage] = new()
            {
                ["server.uptime"] = GaugeStat(3),
                [$"cluster.upstream_rq_total{{envoy.cluster_name={ReviewsCluster}}}"] = CounterStat(value: 30, increase: 60 + 30),
                ["http.downstream_rq_time{envoy.http_conn_manager_prefix=inbound_0.0.0.0_9080}#summary"] = DistributionStat(value: 3, increase: 4 + 6 + 3, taggedQuantiles),
                ["http.downstream_rq_time{envoy.http_conn_manager_prefix=inbound_0.0.0.0_9080}#histogram"] = DistributionStat(value: 3, increase: 4 + 6 + 3, []),
            },
        };
        var requestedList = requested.GetProperty("proxies").EnumerateArray().ToList();
        Assert.Equal([FlatProductpage, V2Details, TaggedProductpage], requestedList.Select(p => p.GetProperty("id").GetString()));
        foreach (var proxy in requestedList)
        {
            var id = proxy.GetProperty("id").GetString()!;
            JsonAssert.Equivalent(expectedStats[id], proxy.GetProperty("stats"), $"/api/v1/proxies?stat=... stats of {id}");
        }

        // Assert: the topology. productpage's sidecar logged two calls to reviews and one to
        // details; the edge to reviews carries both productpage proxies' cluster figures summed,
        // the edge to details none (no productpage proxy reported a cluster of details).
        var edges = topology.GetProperty("edges").EnumerateArray()
            .ToDictionary(e => (e.GetProperty("source").GetString(), e.GetProperty("target").GetString(), e.GetProperty("protocol").GetString()));
        Assert.Equal(
            [("default/productpage", "default/details", "http"), ("default/productpage", "default/reviews", "http")],
            edges.Keys.Order());
        var toReviews = edges[("default/productpage", "default/reviews", "http")];
        Assert.Equal("client", toReviews.GetProperty("reportedBy").GetString());
        Assert.Equal(2, toReviews.GetProperty("requests").GetInt64());
        JsonAssert.Equivalent((FlatReviews + TaggedReviews).ToJson(proxies: 2), toReviews.GetProperty("upstreamCluster"), "productpage -> reviews upstreamCluster");
        var toDetails = edges[("default/productpage", "default/details", "http")];
        Assert.Equal(1, toDetails.GetProperty("requests").GetInt64());
        Assert.False(toDetails.TryGetProperty("upstreamCluster", out var unexpected), $"productpage -> details: upstreamCluster {unexpected}, expected none");

        // Assert: each service's detail lists its proxies.
        JsonAssert.Equivalent(new JsonArray(FlatProductpageProxy(), TaggedProductpageProxy()), productpageDetail.GetProperty("proxies"), "/api/v1/services/default/productpage proxies", "lastReport");
        JsonAssert.Equivalent(new JsonArray(V2DetailsProxy()), detailsDetail.GetProperty("proxies"), "/api/v1/services/default/details proxies", "lastReport");

        // Assert: self-metrics. Every sample received is accounted for, and every one was kept.
        var received = metrics.Get("als_metric_samples_received_total");
        Assert.Equal(sent.GetProperty("samples").GetInt64(), received);
        Assert.Equal(received, metrics.Get("als_metric_samples_accepted_total") + metrics.Sum("als_metric_samples_rejected_total"));
        Assert.Equal(received, metrics.Get("als_metric_samples_accepted_total"));
        Assert.Equal(0, metrics.Sum("als_metric_samples_rejected_total"));
        Assert.Equal(sent.GetProperty("families").GetInt64(), metrics.Get("als_metric_families_received_total"));
        Assert.Equal(3, metrics.Get("als_proxies_tracked"));
        Assert.Equal(3, metrics.Get("als_streams_total{api=\"metrics_v3\"}"));
        Assert.Equal(1, metrics.Get("als_streams_total{api=\"metrics_v2\"}"));
        Assert.Equal(1, metrics.Get("als_streams_total{api=\"accesslog_v3\"}"));
        Assert.Equal(0, metrics.Sum("als_streams_open"));
        Assert.Equal(sent.GetProperty("messages").GetInt64() + 1, metrics.Get("als_messages_received_total"));
        Assert.Equal(0, metrics.Sum("als_messages_rejected_total"));
        Assert.Equal(3, metrics.Get("als_entries_received_total"));
        Assert.Equal(3, metrics.Get("als_entries_analyzed_total"));
        Assert.Empty(server.Logs.AtLeast(LogLevel.Warning));
    }

    private static JsonObject FlatProductpageProxy() => Proxy(
        FlatProductpage,
        service: "productpage",
        instance: "productpage-v1-7f99cc4496-abcde",
        memoryAllocated: 5_300_000,
        memoryHeapSize: 8_000_000,
        memoryPhysicalSize: 9_200_000,
        connections: 13,
        workerThreads: 2,
        uptimeSeconds: 3610,
        FlatReviews.ToJson(ReviewsCluster, "outbound", "default/reviews", 9080));

    private static JsonObject TaggedProductpageProxy() => Proxy(
        TaggedProductpage,
        service: "productpage",
        instance: "productpage-v1-7f99cc4496-fghij",
        memoryAllocated: 4_000_000,
        memoryHeapSize: 4_194_304,
        memoryPhysicalSize: 6_000_000,
        connections: 2,
        workerThreads: 2,
        uptimeSeconds: 3,
        TaggedReviews.ToJson(ReviewsCluster, "outbound", "default/reviews", 9080));

    private static JsonObject V2DetailsProxy() => Proxy(
        V2Details,
        service: "details",
        instance: "details-v1-65cfcf56f9-7xq2n",
        memoryAllocated: 4_600_000,
        memoryHeapSize: 6_000_000,
        memoryPhysicalSize: 7_100_000,
        connections: 6,
        workerThreads: 4,
        uptimeSeconds: 86405,
        DetailsInbound.ToJson(InboundCluster, "inbound", destination: null, 9080));

    /// <summary>A proxy as /api/v1/proxies answers it (without lastReport): the server.* gauges' last values and its clusters.</summary>
    private static JsonObject Proxy(
        string id,
        string service,
        string instance,
        double memoryAllocated,
        double memoryHeapSize,
        double memoryPhysicalSize,
        double connections,
        double workerThreads,
        double uptimeSeconds,
        params JsonObject[] clusters) => new()
        {
            ["id"] = id,
            ["service"] = $"default/{service}",
            ["namespace"] = "default",
            ["name"] = service,
            ["instance"] = instance,
            ["role"] = "sidecar",
            ["memoryAllocated"] = memoryAllocated,
            ["memoryHeapSize"] = memoryHeapSize,
            ["memoryPhysicalSize"] = memoryPhysicalSize,
            ["connections"] = connections,
            ["workerThreads"] = workerThreads,
            ["uptimeSeconds"] = uptimeSeconds,
            ["clusters"] = new JsonArray(clusters),
        };

    private static double Rate(double increase) => Math.Round(increase / WindowSeconds, 4);

    private static JsonObject GaugeStat(double value) => new()
    {
        ["kind"] = "gauge",
        ["value"] = value,
        ["increase"] = null,
        ["rate"] = null,
        ["quantiles"] = null,
    };

    private static JsonObject CounterStat(double value, double increase) => new()
    {
        ["kind"] = "counter",
        ["value"] = value,
        ["increase"] = increase,
        ["rate"] = Rate(increase),
        ["quantiles"] = null,
    };

    private static JsonObject DistributionStat(double value, double increase, (string Quantile, double Value)[] quantiles) => new()
    {
        ["kind"] = "distribution",
        ["value"] = value,
        ["increase"] = increase,
        ["rate"] = Rate(increase),
        ["quantiles"] = new JsonObject(quantiles.Select(q => KeyValuePair.Create(q.Quantile, (JsonNode?)q.Value))),
    };

    /// <summary>A cluster's figures: counter increases in the window and gauges' last values (summed over proxies on an edge).</summary>
    private sealed record Figures(
        double Requests = 0,
        double Retries = 0,
        double Timeouts = 0,
        double ConnectionFailures = 0,
        double PendingOverflows = 0,
        double Connections = 0,
        double ActiveRequests = 0,
        double PendingRequests = 0,
        double ActiveConnections = 0,
        double HealthyMembers = 0,
        double Members = 0)
    {
        public static Figures operator +(Figures a, Figures b) => new(
            a.Requests + b.Requests,
            a.Retries + b.Retries,
            a.Timeouts + b.Timeouts,
            a.ConnectionFailures + b.ConnectionFailures,
            a.PendingOverflows + b.PendingOverflows,
            a.Connections + b.Connections,
            a.ActiveRequests + b.ActiveRequests,
            a.PendingRequests + b.PendingRequests,
            a.ActiveConnections + b.ActiveConnections,
            a.HealthyMembers + b.HealthyMembers,
            a.Members + b.Members);

        /// <summary>A proxy's cluster, as /api/v1/proxies lists it (no subset: none is sent).</summary>
        public JsonObject ToJson(string name, string direction, string? destination, int port)
        {
            var json = ToJson();
            json["name"] = name;
            json["direction"] = direction;
            if (destination is not null)
            {
                json["destination"] = destination;
            }

            json["port"] = port;
            return json;
        }

        /// <summary>The figures alone, and on an edge how many proxies they add up.</summary>
        public JsonObject ToJson(int? proxies = null)
        {
            var json = new JsonObject
            {
                ["requests"] = Requests,
                ["requestRate"] = Rate(Requests),
                ["retries"] = Retries,
                ["timeouts"] = Timeouts,
                ["connectionFailures"] = ConnectionFailures,
                ["pendingOverflows"] = PendingOverflows,
                ["connections"] = Connections,
                ["activeRequests"] = ActiveRequests,
                ["pendingRequests"] = PendingRequests,
                ["activeConnections"] = ActiveConnections,
                ["healthyMembers"] = HealthyMembers,
                ["members"] = Members,
            };
            if (proxies is not null)
            {
                json["proxies"] = proxies;
            }

            return json;
        }
    }
}
