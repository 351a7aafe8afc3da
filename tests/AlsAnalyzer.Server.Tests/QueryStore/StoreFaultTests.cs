using System.Net;
using System.Text.Json;
using AlsAnalyzer.Server.Hosting;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Tests.QueryStore;

/// <summary>
/// <c>QueryStore=prometheus</c> with a store that is not there, goes away and comes back: the
/// API answers 503 naming the store and the reason, <c>/readyz</c> follows the store, ingest and
/// its accounting go on, and the answers return with the store.
/// </summary>
public sealed class StoreFaultTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task StoreDownAtStartAndMidRun_Api503WithReason_IngestGoesOn_RecoversWhenBack()
    {
        var port = MetricsBackend.FreePort();
        var url = $"http://127.0.0.1:{port}";
        await using var replica = await AlsTestServer.StartAsync(
            "CollectIntervalMilliseconds=200",
            $"RemoteWriteUrl={url}/api/v1/write",
            "RemoteWriteIntervalSeconds=1",
            "RemoteWriteTimeoutSeconds=1",
            "ReplicaName=als-a",
            "QueryStore=prometheus",
            $"PrometheusUrl={url}",
            "PrometheusTimeoutSeconds=2");
        var sent = await SendAsync(replica);

        // Down at start: a clear 503 on every store-backed route, not ready, ingest counted in full.
        foreach (var path in new[] { "/api/v1/topology", "/api/v1/services", "/api/v1/services/default/reviews" })
        {
            await AssertUnavailableAsync(replica, path, url);
        }

        await WaitForStatusAsync(replica, "/readyz", HttpStatusCode.ServiceUnavailable);
        Assert.Equal(sent, (await replica.ScrapeAsync())["als_entries_received_total"]);
        using (var memoryReadable = await replica.Http.GetAsync(new Uri("/metrics/istio", UriKind.Relative), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, memoryReadable.StatusCode);
        }

        // The store comes up: remote write delivers, the API answers from it.
        var victoria = await MetricsBackend.StartVictoriaMetricsAsync(port);
        try
        {
            sent += await SendAsync(replica);
            await WaitForEdgesAsync(replica);
            await WaitForStatusAsync(replica, "/readyz", HttpStatusCode.OK);
        }
        finally
        {
            await victoria.DisposeAsync();
        }

        // Gone mid-run: 503 again, ingest unaffected.
        await AssertUnavailableAsync(replica, "/api/v1/topology", url);
        sent += await SendAsync(replica);
        await WaitForStatusAsync(replica, "/readyz", HttpStatusCode.ServiceUnavailable);
        Assert.Equal(sent, (await replica.ScrapeAsync())["als_entries_received_total"]);

        // And back.
        await using var again = await MetricsBackend.StartVictoriaMetricsAsync(port);
        sent += await SendAsync(replica);
        await WaitForEdgesAsync(replica);
        await WaitForStatusAsync(replica, "/readyz", HttpStatusCode.OK);
        Assert.Equal(sent, (await replica.ScrapeAsync())["als_entries_received_total"]);
    }

    [Fact]
    public void PrometheusStore_WithoutUrl_RefusedAtStartWithAClearError()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => AlsHost.Build(["--Als:QueryStore=prometheus"]));
        Assert.Contains(ex.Failures, f => f.Contains("Als:PrometheusUrl is empty", StringComparison.Ordinal) && f.Contains("QueryStore=prometheus", StringComparison.Ordinal));

        var wrong = Assert.Throws<OptionsValidationException>(() => AlsHost.Build(["--Als:QueryStore=thanos"]));
        Assert.Contains(wrong.Failures, f => f.Contains("Als:QueryStore is 'thanos'; it must be memory or prometheus", StringComparison.Ordinal));

        var notUrl = Assert.Throws<OptionsValidationException>(() => AlsHost.Build(["--Als:QueryStore=prometheus", "--Als:PrometheusUrl=victoria:8428"]));
        Assert.Contains(notUrl.Failures, f => f.Contains("Als:PrometheusUrl is 'victoria:8428'", StringComparison.Ordinal));
    }

    private static async Task<int> SendAsync(AlsTestServer server)
    {
        var mesh = ReplicaMesh.Build(DateTimeOffset.UtcNow.AddSeconds(-5));
        using var client = new AlsClient(server.GrpcAddress);
        await mesh.SendAsync(client);
        return mesh.Entries;
    }

    private static async Task AssertUnavailableAsync(AlsTestServer server, string path, string store)
    {
        using var response = await server.Http.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
        Assert.Contains($"Query store {store} is unreachable", error, StringComparison.Ordinal);
    }

    private static async Task WaitForStatusAsync(AlsTestServer server, string path, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow + Patience;
        var last = (HttpStatusCode)0;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await server.Http.GetAsync(new Uri(path, UriKind.Relative));
            last = response.StatusCode;
            if (last == expected)
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"{path}: expected {expected}, last {last}");
    }

    private static async Task WaitForEdgesAsync(AlsTestServer server)
    {
        var deadline = DateTime.UtcNow + Patience;
        var last = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await server.Http.GetAsync(new Uri("/api/v1/topology", UriKind.Relative));
            last = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode && JsonDocument.Parse(last).RootElement.GetProperty("edges").GetArrayLength() > 0)
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"no edges from the store: {last}");
    }
}
