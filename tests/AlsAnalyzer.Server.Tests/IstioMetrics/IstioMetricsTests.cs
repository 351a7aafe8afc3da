using System.Net.Http.Headers;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using static AlsAnalyzer.Server.Tests.Support.MeshScenario;

namespace AlsAnalyzer.Server.Tests.IstioMetrics;

/// <summary>
/// Istio's standard series end to end: the real server fed the bookinfo-like mesh through the
/// official Envoy protos, a real Prometheus scraping <c>/metrics/istio</c> and a real
/// VictoriaMetrics receiving remote write, checked exactly through PromQL.
/// </summary>
public sealed class IstioMetricsTests(IstioMeshFixture mesh) : IClassFixture<IstioMeshFixture>
{
    private readonly MetricsBackend _victoria = mesh.Victoria;
    private readonly AlsTestServer _server = mesh.Server;
    private readonly MetricsBackend _prometheus = mesh.Prometheus;


    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Backends => ["prometheus", "victoria-metrics"];

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Requests_OneSeriesPerReporterAndEdge_Exact(string backend)
    {
        var b = Backend(backend);
        var perEdge = (await b.QueryAsync(
                "sum by (reporter, source_canonical_service, destination_canonical_service, request_protocol) (istio_requests_total)"))
            .ToDictionary(r => $"{r.Labels["reporter"]} {r.Labels["source_canonical_service"]} -> {r.Labels["destination_canonical_service"]} {r.Labels["request_protocol"]}", r => r.Value);

        Assert.Equal(
            new Dictionary<string, double>
            {
                ["source istio-ingressgateway -> productpage http"] = GatewayCalls,
                ["destination istio-ingressgateway -> productpage http"] = GatewayCalls,
                ["source productpage -> reviews http"] = ReviewsHttpCalls,
                ["destination productpage -> reviews http"] = ReviewsHttpCalls,
                ["source productpage -> reviews grpc"] = ReviewsGrpcCalls,
                ["destination productpage -> reviews grpc"] = ReviewsGrpcCalls,
                ["source productpage -> details http"] = DetailsCalls,
                ["destination productpage -> details http"] = DetailsCalls - DetailsNoResponse,
                ["source reviews -> ratings http"] = RatingsCalls,
                ["destination reviews -> ratings http"] = RatingsCalls,

                // The passthrough call left the mesh: no canonical service on the destination.
                ["source productpage -> unknown http"] = ExternalCalls,
            },
            perEdge);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Requests_ResponseCodesFlagsAndWorkloadLabels_Exact(string backend)
    {
        var b = Backend(backend);
        var reviews = (await b.QueryAsync(
                "sum by (source_workload, source_workload_namespace, source_version, destination_workload, destination_workload_namespace, destination_version, destination_canonical_revision, destination_service, destination_service_name, destination_service_namespace, response_code) "
                + "(istio_requests_total{reporter=\"destination\",destination_canonical_service=\"reviews\",request_protocol=\"http\"})"))
            .ToDictionary(
                r => string.Join(' ', r.Labels["source_workload"], r.Labels["source_workload_namespace"], r.Labels["source_version"], r.Labels["destination_workload"], r.Labels["destination_workload_namespace"], r.Labels["destination_version"], r.Labels["destination_canonical_revision"], r.Labels["destination_service"], r.Labels["destination_service_name"], r.Labels["destination_service_namespace"], r.Labels["response_code"]),
                r => r.Value);

        // Calls 0..2 are the 503s: 0 and 2 went to v1, 1 to v2.
        Assert.Equal(
            new Dictionary<string, double>
            {
                ["productpage-v1 default v1 reviews-v1 default v1 v1 reviews.default.svc.cluster.local reviews default 200"] = (ReviewsHttpCalls / 2) - 2,
                ["productpage-v1 default v1 reviews-v1 default v1 v1 reviews.default.svc.cluster.local reviews default 503"] = 2,
                ["productpage-v1 default v1 reviews-v2 default v2 v2 reviews.default.svc.cluster.local reviews default 200"] = (ReviewsHttpCalls / 2) - 1,
                ["productpage-v1 default v1 reviews-v2 default v2 v2 reviews.default.svc.cluster.local reviews default 503"] = 1,
            },
            reviews);

        var details = (await b.QueryAsync("sum by (response_code, response_flags) (istio_requests_total{reporter=\"source\",destination_service_name=\"details\"})"))
            .ToDictionary(r => r.Labels["response_code"] + " " + r.Labels["response_flags"], r => r.Value);
        Assert.Equal(new Dictionary<string, double> { ["200 -"] = DetailsCalls - DetailsNoResponse, ["0 UF"] = DetailsNoResponse }, details);

        var grpc = await b.QueryAsync("istio_requests_total{reporter=\"destination\",request_protocol=\"grpc\"}");
        Assert.Equal(ReviewsGrpcCalls, Assert.Single(grpc).Value);

        var external = Assert.Single(await b.QueryAsync("istio_requests_total{destination_service=\"PassthroughCluster\"}"));
        Assert.Equal(ExternalCalls, external.Value);
        Assert.Equal("source", external.Labels["reporter"]);
        Assert.Equal("unknown", external.Labels["destination_workload"]);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Requests_PrincipalsAndSecurityPolicy_FromTheTlsProperties(string backend)
    {
        var b = Backend(backend);
        var server = Assert.Single(await b.QueryAsync(
            "sum by (source_principal, destination_principal, connection_security_policy) (istio_requests_total{reporter=\"destination\",destination_canonical_service=\"ratings\"})"));
        Assert.Equal("spiffe://cluster.local/ns/default/sa/reviews", server.Labels["source_principal"]);
        Assert.Equal("spiffe://cluster.local/ns/default/sa/ratings", server.Labels["destination_principal"]);
        Assert.Equal("mutual_tls", server.Labels["connection_security_policy"]);
        Assert.Equal(RatingsCalls, server.Value);

        // The client side sees no TLS properties of its upstream connection: Istio's "unknown".
        var client = Assert.Single(await b.QueryAsync(
            "sum by (source_principal, destination_principal, connection_security_policy) (istio_requests_total{reporter=\"source\",destination_canonical_service=\"ratings\"})"));
        Assert.Equal("unknown", client.Labels["source_principal"]);
        Assert.Equal("unknown", client.Labels["connection_security_policy"]);
        Assert.Equal(RatingsCalls, client.Value);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Duration_HistogramCountSumAndQuantile_Exact(string backend)
    {
        var b = Backend(backend);
        const string selector = "{reporter=\"destination\",destination_canonical_service=\"reviews\",request_protocol=\"http\"}";
        Assert.Equal(ReviewsHttpCalls, await b.ScalarAsync($"sum(istio_request_duration_milliseconds_count{selector})"));
        Assert.Equal(ReviewsLatenciesMs.Sum(), await b.ScalarAsync($"sum(istio_request_duration_milliseconds_sum{selector})"), 6);
        Assert.Equal(ReviewsLatenciesMs.Count(l => l <= 25), await b.ScalarAsync($"sum(istio_request_duration_milliseconds_bucket{{reporter=\"destination\",destination_canonical_service=\"reviews\",request_protocol=\"http\",le=\"25\"}})"));
        Assert.Equal(ReviewsHttpCalls, await b.ScalarAsync($"sum(istio_request_bytes_count{selector})"));
        Assert.Equal(ReviewsHttpCalls, await b.ScalarAsync($"sum(istio_response_bytes_count{selector})"));

        // The median of 1..60 ms lies in the (25, 50] bucket.
        var median = await b.ScalarAsync(
            $"histogram_quantile(0.5, sum by (le) (rate(istio_request_duration_milliseconds_bucket{selector}[2m])))", mesh.Settled[b]);
        Assert.InRange(median, 25.0001, 50);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Tcp_BytesAndConnections_Exact(string backend)
    {
        var b = Backend(backend);
        foreach (var reporter in new[] { "source", "destination" })
        {
            var selector = $"{{reporter=\"{reporter}\",destination_canonical_service=\"mysql\"}}";
            Assert.Equal(MysqlConnections, await b.ScalarAsync($"sum(istio_tcp_connections_closed_total{selector})"));
            Assert.Equal(MysqlConnections, await b.ScalarAsync($"sum(istio_tcp_connections_opened_total{selector})"));

            // Istio: "received" is the request direction (client to server), "sent" the response's.
            Assert.Equal(MysqlConnections * (double)MysqlSentPerConnection, await b.ScalarAsync($"sum(istio_tcp_received_bytes_total{selector})"));
            Assert.Equal(MysqlConnections * (double)MysqlReceivedPerConnection, await b.ScalarAsync($"sum(istio_tcp_sent_bytes_total{selector})"));
        }

        var labels = Assert.Single(await b.QueryAsync("istio_tcp_connections_closed_total{reporter=\"destination\"}")).Labels;
        Assert.Equal("tcp", labels["request_protocol"]);
        Assert.Equal("mutual_tls", labels["connection_security_policy"]);
        Assert.Equal("productpage-v1", labels["source_workload"]);
        Assert.Equal("mysql.data.svc.cluster.local", labels["destination_service"]);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task NewSeries_FirstPublishedAtZero_SoIncreaseSeesTheFirstRequests(string backend)
    {
        var b = Backend(backend);

        // Every series began at 0: without that, a counter born at 60 would show no increase.
        Assert.Equal(0, await b.ScalarAsync("max(min_over_time(istio_requests_total[10m]))", mesh.Settled[b]));
        Assert.Equal(0, await b.ScalarAsync("max(min_over_time(istio_tcp_connections_closed_total[10m]))", mesh.Settled[b]));
        var increase = await b.ScalarAsync(
            "sum(increase(istio_requests_total{reporter=\"destination\",destination_canonical_service=\"reviews\",request_protocol=\"http\"}[10m]))", mesh.Settled[b]);

        // increase() extrapolates towards the window's end, so it may exceed the count a little.
        Assert.InRange(increase, ReviewsHttpCalls, ReviewsHttpCalls * 1.5);
    }

    [Fact]
    public async Task Kiali_NamespaceGraphQuery_ReturnsTheExpectedEdges()
    {
        const string query = "sum(rate(istio_requests_total{reporter=\"destination\",destination_service_namespace=\"default\"}[30s])) by (source_cluster,source_workload_namespace,source_workload,source_canonical_service,source_canonical_revision,destination_cluster,destination_service_namespace,destination_service,destination_service_name,destination_workload_namespace,destination_workload,destination_canonical_service,destination_canonical_revision,request_protocol,response_code,grpc_response_status,response_flags) > 0";
        var result = await _prometheus.QueryAsync(query, mesh.Settled[_prometheus]);

        var edges = result
            .Select(r => $"{r.Labels["source_workload_namespace"]}/{r.Labels["source_workload"]} -> {r.Labels["destination_service_name"]} {r.Labels["destination_workload"]} {r.Labels["request_protocol"]}")
            .Distinct()
            .Order(StringComparer.Ordinal);
        Assert.Equal(
            [
                "default/productpage-v1 -> details details-v1 http",
                "default/productpage-v1 -> reviews reviews-v1 grpc",
                "default/productpage-v1 -> reviews reviews-v1 http",
                "default/productpage-v1 -> reviews reviews-v2 http",
                "default/reviews-v1 -> ratings ratings-v1 http",
                "default/reviews-v2 -> ratings ratings-v1 http",
                "istio-system/istio-ingressgateway-1-24-2 -> productpage productpage-v1 http",
            ],
            edges);

        // Kiali drops series missing any of these labels.
        string[] required = ["source_workload_namespace", "source_workload", "source_canonical_service", "source_canonical_revision", "destination_service_namespace", "destination_service", "destination_service_name", "destination_workload_namespace", "destination_workload", "destination_canonical_service", "destination_canonical_revision", "response_flags", "request_protocol", "response_code", "source_cluster", "destination_cluster"];
        Assert.All(result, r => Assert.All(required, l => Assert.True(r.Labels.ContainsKey(l), l)));
        Assert.All(result, r => Assert.Equal("Kubernetes", r.Labels["destination_cluster"]));
    }

    [Fact]
    public async Task Exposition_PassesPromtool_ExceptIstiosMillisecondsName()
    {
        var text = await _server.Http.GetStringAsync(new Uri("/metrics/istio", UriKind.Relative), Ct);
        Assert.Contains("# TYPE istio_requests_total counter", text, StringComparison.Ordinal);
        var result = await ProcessResult.RunAsync("promtool", ["check", "metrics"], Environment.CurrentDirectory, TimeSpan.FromMinutes(1), Ct, standardInput: text);
        var problems = (result.Stdout + result.Stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        // Exit code 3 is "lint problems"; the only one is Istio's own unit choice.
        Assert.Equal(3, result.ExitCode);
        Assert.NotEmpty(problems);
        Assert.All(problems, p => Assert.StartsWith("istio_request_duration_milliseconds", p, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Exposition_OpenMetricsWhenAccepted()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/metrics/istio", UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/openmetrics-text"));
        using var response = await _server.Http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal("application/openmetrics-text", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE istio_requests counter\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE istio_request_duration_milliseconds histogram\n", text, StringComparison.Ordinal);
        Assert.EndsWith("# EOF\n", text, StringComparison.Ordinal);

        // Prometheus itself asks for OpenMetrics first: its scrapes, in this format, are healthy.
        Assert.Equal(1, await _prometheus.ScalarAsync("up{job=\"als\"}"));
        Assert.True(await _prometheus.ScalarAsync("scrape_samples_scraped{job=\"als\"}") > 0);
    }

    [Fact]
    public async Task SelfMetrics_RemoteWriteSucceeded_AndIngestAccountingExact()
    {
        var metrics = await _server.ScrapeAsync();
        Assert.True(metrics["als_istio_remote_write_samples_sent_total"] > 0);
        Assert.Equal(0, metrics["als_istio_remote_write_samples_failed_total"]);
        Assert.Equal(0, metrics["als_istio_remote_write_samples_dropped_total"]);
        Assert.True(metrics["als_istio_remote_write_last_success_timestamp_seconds"] > DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds());
        Assert.Equal(0, metrics["als_istio_series_overflow_records_total"]);
        Assert.True(metrics["als_istio_series"] > 0);
        Assert.Equal(mesh.EntriesSent, metrics["als_entries_received_total"]);
    }

    private MetricsBackend Backend(string name) => name == "prometheus" ? _prometheus : _victoria;
}

/// <summary>The servers of <see cref="IstioMetricsTests"/>, started once for the class, and the mesh sent through them.</summary>
public sealed class IstioMeshFixture : IAsyncLifetime
{
    // Requests per reporter: every sidecar outbound entry and the gateway's are "source",
    // every inbound entry "destination" (the two details calls that failed never arrived).
    public const int SourceRequests = GatewayCalls + ReviewsHttpCalls + ReviewsGrpcCalls + DetailsCalls + RatingsCalls + ExternalCalls;
    public const int DestinationRequests = GatewayCalls + ReviewsHttpCalls + ReviewsGrpcCalls + (DetailsCalls - DetailsNoResponse) + RatingsCalls;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    internal MetricsBackend Victoria { get; private set; } = null!;

    internal AlsTestServer Server { get; private set; } = null!;

    internal MetricsBackend Prometheus { get; private set; } = null!;

    /// <summary>When each backend first held every series at its final value (for queries over recent windows).</summary>
    internal Dictionary<MetricsBackend, DateTimeOffset> Settled { get; } = [];

    internal int EntriesSent { get; private set; }

    public async ValueTask InitializeAsync()
    {
        Victoria = await MetricsBackend.StartVictoriaMetricsAsync();
        Server = await AlsTestServer.StartAsync(
            "CollectIntervalMilliseconds=200",
            $"RemoteWriteUrl={Victoria.RemoteWriteUrl}",
            "RemoteWriteIntervalSeconds=1");
        Prometheus = await MetricsBackend.StartPrometheusAsync($"{Server.HttpAddress.Host}:{Server.HttpAddress.Port}");

        // Prometheus scrapes before any traffic: the series are born while it watches.
        await Prometheus.WaitForAsync("up{job=\"als\"}", 1, Patience);
        using var client = new AlsClient(Server.GrpcAddress);
        var scenario = Build(DateTimeOffset.UtcNow.AddSeconds(-30));
        EntriesSent = scenario.Entries;
        await scenario.SendAsync(client);
        foreach (var backend in new[] { Prometheus, Victoria })
        {
            await backend.WaitForAsync("sum(istio_requests_total{reporter=\"source\"})", SourceRequests, Patience);
            await backend.WaitForAsync("sum(istio_requests_total{reporter=\"destination\"})", DestinationRequests, Patience);
            await backend.WaitForAsync("sum(istio_tcp_connections_closed_total)", 2 * MysqlConnections, Patience);
            Settled[backend] = DateTimeOffset.UtcNow;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Prometheus.DisposeAsync();
        await Server.DisposeAsync();
        await Victoria.DisposeAsync();
    }
}
