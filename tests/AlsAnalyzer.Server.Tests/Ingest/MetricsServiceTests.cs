using AlsAnalyzer.Core.Model;
using System.Text.Json;
using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Metrics;
using AlsAnalyzer.Protos.Prometheus;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using Grpc.Core;

namespace AlsAnalyzer.Server.Tests.Ingest;

/// <summary>Envoy metrics service streams over a real gRPC client, checked through the API and self-metrics.</summary>
public sealed class MetricsServiceTests : IAsyncLifetime
{
    private const string ReviewsCluster = "outbound|9080||reviews.default.svc.cluster.local";
    private const string RatingsCluster = "outbound|9080|v1|ratings.default.svc.cluster.local";
    private AlsTestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await AlsTestServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Proxies_ThreeFlushes_ReportGaugesAndCounterIncreases()
    {
        await SendProductpageFlushesAsync();

        var proxies = (await _server.GetJsonAsync("/api/v1/proxies")).GetProperty("proxies");
        var proxy = Assert.Single(proxies.EnumerateArray());

        Assert.Equal("default/productpage", proxy.GetProperty("service").GetString());
        Assert.Equal(Mesh.Productpage.Pod, proxy.GetProperty("instance").GetString());
        Assert.Equal("sidecar", proxy.GetProperty("role").GetString());
        Assert.Equal(5_300_000, proxy.GetProperty("memoryAllocated").GetDouble());
        Assert.Equal(2, proxy.GetProperty("workerThreads").GetDouble());
        Assert.Equal(3610, proxy.GetProperty("uptimeSeconds").GetDouble());
        var reviews = Cluster(proxy, ReviewsCluster);
        Assert.Equal("default/reviews", reviews.GetProperty("destination").GetString());
        Assert.Equal(9080, reviews.GetProperty("port").GetInt32());
        Assert.Equal("outbound", reviews.GetProperty("direction").GetString());

        // The first flush is a baseline: increases count from it.
        Assert.Equal(250, reviews.GetProperty("requests").GetDouble());
        Assert.Equal(3, reviews.GetProperty("retries").GetDouble());
        Assert.Equal(4, reviews.GetProperty("pendingOverflows").GetDouble());
        Assert.Equal(1, reviews.GetProperty("timeouts").GetDouble());
        Assert.Equal(5, reviews.GetProperty("activeRequests").GetDouble());
        Assert.Equal(2, reviews.GetProperty("healthyMembers").GetDouble());
        Assert.Equal(3, reviews.GetProperty("members").GetDouble());
        Assert.Equal("inbound", Cluster(proxy, "inbound|9080||").GetProperty("direction").GetString());
    }

    [Fact]
    public async Task Proxies_TagsAsLabelsAndCounterReset_CountTheIncreaseSinceRestart()
    {
        var node = Nodes.Sidecar(Mesh.ReviewsV1);
        var start = DateTimeOffset.UtcNow.AddSeconds(-15);
        double[] totals = [900, 950, 40];
        using var client = new MetricsClient(_server.GrpcAddress);

        await client.SendAsync(
            totals.Select((t, i) => new EnvoyStats(start.AddSeconds(5 * i), tagsAsLabels: true)
                .ClusterCounter(RatingsCluster, "upstream_rq_total", t)
                .ClusterGauge(RatingsCluster, "upstream_cx_active", 2)
                .Message(i == 0 ? node : null)),
            cancellationToken: Ct);
        var proxy = Assert.Single((await _server.GetJsonAsync("/api/v1/proxies?service=default/reviews")).GetProperty("proxies").EnumerateArray());
        var ratings = Cluster(proxy, RatingsCluster);

        Assert.Equal(50 + 40, ratings.GetProperty("requests").GetDouble());
        Assert.Equal("v1", ratings.GetProperty("subset").GetString());
        Assert.Equal(2, ratings.GetProperty("activeConnections").GetDouble());
    }

    [Fact]
    public async Task Topology_EdgeWithClientProxyMetrics_CarriesItsClusterFigures()
    {
        await SendProductpageFlushesAsync();
        using var als = new AlsClient(_server.GrpcAddress);
        await als.SendAsync([Calls.HttpMessage([Calls.Outbound(new HttpCall { Source = Mesh.Productpage, Destination = Mesh.ReviewsV1 })], Nodes.Sidecar(Mesh.Productpage))], cancellationToken: Ct);

        var edge = (await _server.GetJsonAsync("/api/v1/topology")).GetProperty("edges")[0];
        var upstream = edge.GetProperty("upstreamCluster");

        Assert.Equal("default/reviews", edge.GetProperty("target").GetString());
        Assert.Equal(4, upstream.GetProperty("pendingOverflows").GetDouble());
        Assert.Equal(3, upstream.GetProperty("retries").GetDouble());
        Assert.Equal(250, upstream.GetProperty("requests").GetDouble());
        Assert.Equal(1, upstream.GetProperty("proxies").GetInt32());
    }

    [Fact]
    public async Task ServiceDetail_WithMetricsOnly_ListsItsProxies()
    {
        await SendProductpageFlushesAsync();

        var detail = await _server.GetJsonAsync("/api/v1/services/default/productpage");

        var proxy = Assert.Single(detail.GetProperty("proxies").EnumerateArray());
        Assert.Equal(Mesh.Productpage.Pod, proxy.GetProperty("instance").GetString());
    }

    [Fact]
    public async Task Proxies_RequestedStats_AreReturnedWithTheirKind()
    {
        await SendProductpageFlushesAsync();

        var proxy = (await _server.GetJsonAsync("/api/v1/proxies?stat=listener.0.0.0.0_15006.downstream_cx_total&stat=server.uptime&stat=http.inbound_0.0.0.0_9080.downstream_rq_time"))
            .GetProperty("proxies")[0];
        var stats = proxy.GetProperty("stats");

        Assert.Equal("counter", stats.GetProperty("listener.0.0.0.0_15006.downstream_cx_total").GetProperty("kind").GetString());
        Assert.Equal(20, stats.GetProperty("listener.0.0.0.0_15006.downstream_cx_total").GetProperty("increase").GetDouble());
        Assert.Equal(3610, stats.GetProperty("server.uptime").GetProperty("value").GetDouble());
        var summary = stats.GetProperty("http.inbound_0.0.0.0_9080.downstream_rq_time#summary");
        Assert.Equal("distribution", summary.GetProperty("kind").GetString());
        Assert.Equal(30, summary.GetProperty("increase").GetDouble());
        Assert.Equal(12.5, summary.GetProperty("quantiles").GetProperty("0.99").GetDouble());
    }

    [Fact]
    public async Task BadSamples_AreRejectedByReason_AndTheRestKept()
    {
        using var client = new MetricsClient(_server.GrpcAddress);
        var stats = new EnvoyStats(DateTimeOffset.UtcNow)
            .Gauge("server.memory_allocated", 1000)
            .Gauge("server.memory_heap_size", double.NaN)
            .Counter("cluster.x.upstream_rq_total", -5)
            .Counter("", 1)
            .Counter("bad name\n", 1)
            .Raw(new MetricFamily { Name = "weird.gauge_histogram", Type = MetricType.GaugeHistogram, Metric = { new Metric { Gauge = new Gauge { Value = 1 } } } })
            .Raw(new MetricFamily { Name = "counter.without.value", Type = MetricType.Counter, Metric = { new Metric { Gauge = new Gauge { Value = 1 } } } })
            .Raw(new MetricFamily { Name = "future.type", Type = (MetricType)42, Metric = { new Metric { Gauge = new Gauge { Value = 1 } } } });

        await client.SendAsync([stats.Message(Nodes.Sidecar(Mesh.Details))], cancellationToken: Ct);
        var m = await _server.ScrapeAsync();

        Assert.Equal(8, m.Get("als_metric_samples_received_total"));
        Assert.Equal(1, m.Get("als_metric_samples_accepted_total"));
        Assert.Equal(1, m.Get("als_metric_samples_rejected_total{reason=\"non_finite\"}"));
        Assert.Equal(1, m.Get("als_metric_samples_rejected_total{reason=\"negative_counter\"}"));
        Assert.Equal(2, m.Get("als_metric_samples_rejected_total{reason=\"unparsable_name\"}"));
        Assert.Equal(3, m.Get("als_metric_samples_rejected_total{reason=\"unknown_type\"}"));
        Assert.Equal(m.Get("als_metric_samples_received_total"), m.Get("als_metric_samples_accepted_total") + m.Sum("als_metric_samples_rejected_total"));
        Assert.Equal(1, m.Get("als_proxies_tracked"));
    }

    [Fact]
    public async Task IdleHistogramInterval_WithNaNQuantiles_IsAcceptedAndKeepsTheLastQuantiles()
    {
        using var client = new MetricsClient(_server.GrpcAddress);
        var now = DateTimeOffset.UtcNow;
        var busy = new EnvoyStats(now.AddSeconds(-5)).Distribution("cluster.x.upstream_rq_time", 4, 20, (0.5, 3), (0.99, 9));
        var idle = new EnvoyStats(now).Distribution("cluster.x.upstream_rq_time", 0, 0, (0.5, double.NaN), (0.99, double.NaN));

        await client.SendAsync([busy.Message(Nodes.Sidecar(Mesh.Details)), idle.Message()], cancellationToken: Ct);
        var m = await _server.ScrapeAsync();
        var stat = (await _server.GetJsonAsync("/api/v1/proxies?stat=cluster.x.upstream_rq_time")).GetProperty("proxies")[0]
            .GetProperty("stats").GetProperty("cluster.x.upstream_rq_time#summary");

        Assert.Equal(0, m.Sum("als_metric_samples_rejected_total"));
        Assert.Equal(4, stat.GetProperty("increase").GetDouble());
        Assert.Equal(9, stat.GetProperty("quantiles").GetProperty("0.99").GetDouble());
    }

    [Fact]
    public async Task FirstMessageWithoutIdentifier_EndsTheStreamWithInvalidArgument()
    {
        using var client = new MetricsClient(_server.GrpcAddress);
        var stats = new EnvoyStats(DateTimeOffset.UtcNow).Gauge("server.memory_allocated", 1).Gauge("server.uptime", 2);

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.SendAsync([stats.Message()], cancellationToken: Ct));
        var m = await _server.ScrapeAsync();

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal(2, m.Get("als_metric_samples_rejected_total{reason=\"missing_identifier\"}"));
        Assert.Equal(0, m.Get("als_proxies_tracked"));
    }

    [Fact]
    public async Task V2Path_IsServed()
    {
        using var client = new MetricsClient(_server.GrpcAddress);

        await client.SendAsync([new EnvoyStats(DateTimeOffset.UtcNow).Gauge("server.concurrency", 4).Message(Nodes.Router(Mesh.Gateway))], "v2", Ct);
        var proxy = (await _server.GetJsonAsync("/api/v1/proxies")).GetProperty("proxies")[0];

        Assert.Equal("router", proxy.GetProperty("role").GetString());
        Assert.Equal(4, proxy.GetProperty("workerThreads").GetDouble());
    }

    [Fact]
    public async Task Caps_StatsPerProxyAndProxies_RejectTheExcessCounted()
    {
        await using var server = await AlsTestServer.StartAsync("MaxStatsPerProxy=2", "MaxProxies=1");
        using var client = new MetricsClient(server.GrpcAddress);
        var stats = new EnvoyStats(DateTimeOffset.UtcNow).Gauge("a", 1).Gauge("b", 2).Gauge("c", 3);

        await client.SendAsync([stats.Message(Nodes.Sidecar(Mesh.Details))], cancellationToken: Ct);
        await client.SendAsync([stats.Message(Nodes.Sidecar(Mesh.Ratings))], cancellationToken: Ct);
        var m = await server.ScrapeAsync();

        Assert.Equal(1, m.Get("als_metric_samples_rejected_total{reason=\"stat_cap\"}"));
        Assert.Equal(3, m.Get("als_metric_samples_rejected_total{reason=\"proxy_cap\"}"));
        Assert.Equal(1, m.Get("als_proxies_tracked"));
    }

    [Fact]
    public void Registry_SilentProxy_ExpiresAfterTheConfiguredTime()
    {
        var registry = new ProxyRegistry(new MetricsServiceOptions { ProxyExpiryMinutes = 10 }, new Retention(60));
        var now = DateTimeOffset.UtcNow;
        var families = new EnvoyStats(now).Gauge("server.uptime", 1).Message().EnvoyMetrics;
        var tally = new MetricsTally();
        registry.Apply("a", StreamIdentityParser.Parse(Nodes.Sidecar(Mesh.Details), string.Empty), families, now, tally);
        registry.Apply("b", StreamIdentityParser.Parse(Nodes.Sidecar(Mesh.Ratings), string.Empty), families, now.AddMinutes(8), tally);

        var expired = registry.Expire(now.AddMinutes(11));

        Assert.Equal(1, expired);
        Assert.Equal("b", Assert.Single(registry.Proxies).NodeId);
    }

    private async Task SendProductpageFlushesAsync()
    {
        var start = DateTimeOffset.UtcNow.AddSeconds(-10);
        var flushes = new (double Rq, double Retry, double Overflow, double Timeout, double Mem, double Uptime, double Cx)[]
        {
            (1000, 5, 0, 1, 5_000_000, 3600, 100),
            (1100, 7, 3, 1, 5_200_000, 3605, 110),
            (1250, 8, 4, 2, 5_300_000, 3610, 120),
        };
        var node = Nodes.Sidecar(Mesh.Productpage);
        using var client = new MetricsClient(_server.GrpcAddress);
        await client.SendAsync(
            flushes.Select((f, i) => new EnvoyStats(start.AddSeconds(5 * i))
                .Gauge("server.memory_allocated", f.Mem)
                .Gauge("server.memory_heap_size", 8_000_000)
                .Gauge("server.memory_physical_size", 9_000_000)
                .Gauge("server.total_connections", 12)
                .Gauge("server.concurrency", 2)
                .Gauge("server.uptime", f.Uptime)
                .Counter("listener.0.0.0.0_15006.downstream_cx_total", f.Cx)
                .ClusterCounter(ReviewsCluster, "upstream_rq_total", f.Rq)
                .ClusterCounter(ReviewsCluster, "upstream_rq_retry", f.Retry)
                .ClusterCounter(ReviewsCluster, "upstream_rq_pending_overflow", f.Overflow)
                .ClusterCounter(ReviewsCluster, "upstream_rq_timeout", f.Timeout)
                .ClusterCounter(ReviewsCluster, "upstream_cx_connect_fail", 0)
                .ClusterGauge(ReviewsCluster, "upstream_rq_active", 3 + i)
                .ClusterGauge(ReviewsCluster, "upstream_rq_pending_active", 0)
                .ClusterGauge(ReviewsCluster, "membership_healthy", 2)
                .ClusterGauge(ReviewsCluster, "membership_total", 3)
                .ClusterCounter("inbound|9080||", "upstream_rq_total", 500 + (10 * i))
                .Distribution("http.inbound_0.0.0.0_9080.downstream_rq_time", 10, 55, (0.5, 4), (0.99, 12.5))
                .Message(i == 0 ? node : null)),
            cancellationToken: Ct);
    }

    private static JsonElement Cluster(JsonElement proxy, string name) =>
        proxy.GetProperty("clusters").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
}
