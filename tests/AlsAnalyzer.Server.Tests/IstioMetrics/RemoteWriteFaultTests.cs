using System.Net;
using AlsAnalyzer.Core.IstioMetrics.RemoteWrite;
using AlsAnalyzer.Server.IstioMetrics;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using static AlsAnalyzer.Server.Tests.Support.MeshScenario;

namespace AlsAnalyzer.Server.Tests.IstioMetrics;

/// <summary>
/// Remote write against receivers that fail: down, answering 500, answering 400, too slow. The
/// losses are counted by kind, retried only when retrying can help, and ingest (its
/// accounting, the API, the scrape) is not affected.
/// </summary>
public sealed class RemoteWriteFaultTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ReceiverDown_RetriedThenCountedFailed_IngestUnaffected()
    {
        var url = $"http://127.0.0.1:{MetricsBackend.FreePort()}/api/v1/write";
        await using var server = await AlsTestServer.StartAsync($"RemoteWriteUrl={url}", "RemoteWriteIntervalSeconds=1", "RemoteWriteTimeoutSeconds=1");
        var entries = await SendMeshAsync(server);

        var metrics = await WaitForMetricAsync(server, "als_istio_remote_write_samples_failed_total", v => v > 0);
        Assert.Equal(0, metrics["als_istio_remote_write_samples_sent_total"]);
        Assert.Equal(0, metrics["als_istio_remote_write_last_success_timestamp_seconds"]);
        await AssertIngestUnaffectedAsync(server, entries, metrics);
    }

    [Fact]
    public async Task Receiver500_SameRequestRetriedWithBackoff_ThenCountedFailed()
    {
        await using var receiver = FaultyReceiver.Start(HttpStatusCode.InternalServerError, TimeSpan.Zero);
        await using var server = await AlsTestServer.StartAsync($"RemoteWriteUrl={receiver.Url}", "RemoteWriteIntervalSeconds=1");
        var entries = await SendMeshAsync(server);

        var metrics = await WaitForMetricAsync(server, "als_istio_remote_write_samples_failed_total", v => v > 0);
        Assert.Equal(0, metrics["als_istio_remote_write_samples_sent_total"]);

        // The first request was sent MaxAttempts times, unchanged, before its samples counted as failed.
        var requests = receiver.Requests;
        Assert.True(requests.Count >= RemoteWriter.MaxAttempts, $"{requests.Count} requests");
        var first = requests[0].Body;
        Assert.Equal(RemoteWriter.MaxAttempts, requests.Count(r => r.Body.AsSpan().SequenceEqual(first)));
        await AssertIngestUnaffectedAsync(server, entries, metrics);
    }

    [Fact]
    public async Task Receiver400_NeverRetried_EverySampleCountedFailed()
    {
        await using var receiver = FaultyReceiver.Start(HttpStatusCode.BadRequest, TimeSpan.Zero);
        await using var server = await AlsTestServer.StartAsync($"RemoteWriteUrl={receiver.Url}", "RemoteWriteIntervalSeconds=1");
        var entries = await SendMeshAsync(server);
        await WaitForMetricAsync(server, "als_istio_remote_write_samples_failed_total", v => v > 0);

        // Between two pushes (each refused at once), what was refused is exactly what was counted failed.
        var deadline = DateTime.UtcNow + Patience;
        long refused = -1;
        IReadOnlyDictionary<string, double> metrics;
        do
        {
            var before = receiver.Requests;
            metrics = await server.ScrapeAsync();
            var after = receiver.Requests;
            if (before.Count == after.Count)
            {
                refused = after.Sum(r => WriteRequest.Parser.ParseFrom(Snappier.Snappy.DecompressToArray(r.Body)).Timeseries.Count);
                if (refused == metrics["als_istio_remote_write_samples_failed_total"])
                {
                    break;
                }
            }

            await Task.Delay(100, Ct);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal(refused, metrics["als_istio_remote_write_samples_failed_total"]);
        Assert.Equal(0, metrics["als_istio_remote_write_samples_dropped_total"]);
        var requests = receiver.Requests;

        // Each push was sent once: a refused request is never retried.
        Assert.Equal(requests.Count, requests.Select(r => Convert.ToBase64String(r.Body)).Distinct().Count());
        Assert.All(requests, r =>
        {
            Assert.Equal("snappy", r.ContentEncoding);
            Assert.Equal("application/x-protobuf", r.ContentType);
            Assert.Equal("0.1.0", r.Version);
        });
        await AssertIngestUnaffectedAsync(server, entries, metrics);
    }

    [Fact]
    public async Task ReceiverTooSlow_TimesOut_QueueOverflowDroppedAndCounted()
    {
        await using var receiver = FaultyReceiver.Start(HttpStatusCode.NoContent, TimeSpan.FromSeconds(5));
        await using var server = await AlsTestServer.StartAsync(
            $"RemoteWriteUrl={receiver.Url}",
            "RemoteWriteIntervalSeconds=1",
            "RemoteWriteTimeoutSeconds=1",
            "RemoteWriteMaxQueuedSamples=4000");
        var entries = await SendMeshAsync(server);

        // The sender is stuck in timeouts and retries while a snapshot is queued every second.
        var metrics = await WaitForMetricAsync(server, "als_istio_remote_write_samples_dropped_total", v => v > 0);
        Assert.True(metrics["als_istio_remote_write_queued_samples"] <= 4000);
        await AssertIngestUnaffectedAsync(server, entries, metrics);
    }

    private static async Task<int> SendMeshAsync(AlsTestServer server)
    {
        using var client = new AlsClient(server.GrpcAddress);
        var scenario = Build(DateTimeOffset.UtcNow.AddSeconds(-30));
        await scenario.SendAsync(client);
        return scenario.Entries;
    }

    private static async Task<IReadOnlyDictionary<string, double>> WaitForMetricAsync(AlsTestServer server, string name, Func<double, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        IReadOnlyDictionary<string, double> metrics;
        do
        {
            metrics = await server.ScrapeAsync();
            if (done(metrics[name]))
            {
                return metrics;
            }

            await Task.Delay(250, Ct);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"{name} is still {metrics[name]}");
        return metrics;
    }

    private static async Task AssertIngestUnaffectedAsync(AlsTestServer server, int entries, IReadOnlyDictionary<string, double> metrics)
    {
        Assert.Equal(entries, metrics["als_entries_received_total"]);
        Assert.Equal(0, metrics.Where(m => m.Key.StartsWith("als_entries_rejected_total", StringComparison.Ordinal)).Sum(m => m.Value));

        // The scrape still counts every request, whatever remote write does (a new series is
        // published at 0 until its consumers read it once: a few scrapes at most).
        const double expected = IstioMeshFixture.SourceRequests + IstioMeshFixture.DestinationRequests;
        double requests = 0;
        for (var i = 0; i < 40 && requests != expected; i++)
        {
            var text = await server.Http.GetStringAsync(new Uri("/metrics/istio", UriKind.Relative), Ct);
            requests = PrometheusText.Parse(text).Where(p => p.Key.StartsWith("istio_requests_total{", StringComparison.Ordinal)).Sum(p => p.Value);
            await Task.Delay(250, Ct);
        }

        Assert.Equal(expected, requests);
    }

    /// <summary>A remote-write endpoint that answers every request with one status, after a delay, and keeps what it got.</summary>
    private sealed class FaultyReceiver : IAsyncDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly List<(byte[] Body, string? ContentEncoding, string? ContentType, string? Version)> _requests = [];
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;

        public string Url { get; private set; } = string.Empty;

        public List<(byte[] Body, string? ContentEncoding, string? ContentType, string? Version)> Requests
        {
            get
            {
                lock (_requests)
                {
                    return [.. _requests];
                }
            }
        }

        public static FaultyReceiver Start(HttpStatusCode status, TimeSpan delay)
        {
            var receiver = new FaultyReceiver();
            var port = MetricsBackend.FreePort();
            receiver.Url = $"http://127.0.0.1:{port}/api/v1/write";
            receiver._listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            receiver._listener.Start();
            receiver._loop = Task.Run(() => receiver.ServeAsync(status, delay));
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            _listener.Close();
            try
            {
                await _loop;
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or OperationCanceledException)
            {
                // Stopped.
            }

            _stop.Dispose();
        }

        private async Task ServeAsync(HttpStatusCode status, TimeSpan delay)
        {
            while (!_stop.IsCancellationRequested)
            {
                var context = await _listener.GetContextAsync();
                _ = Task.Run(async () =>
                {
                    using var body = new MemoryStream();
                    await context.Request.InputStream.CopyToAsync(body);
                    lock (_requests)
                    {
                        _requests.Add((body.ToArray(), context.Request.Headers["Content-Encoding"], context.Request.ContentType, context.Request.Headers["X-Prometheus-Remote-Write-Version"]));
                    }

                    try
                    {
                        await Task.Delay(delay, _stop.Token);
                        context.Response.StatusCode = (int)status;
                        context.Response.Close();
                    }
                    catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or OperationCanceledException)
                    {
                        // The client gave up or the receiver stopped.
                    }
                });
            }
        }
    }
}
