using System.Diagnostics;
using System.Text.RegularExpressions;
using AlsAnalyzer.Server.Ingest;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using Grpc.Core;

namespace AlsAnalyzer.Server.Tests.Hosting;

/// <summary>
/// SIGTERM with streams that never half-close, as Envoy's: every stream ends with UNAVAILABLE
/// after what was sent on it is analysed, the counts are logged, and the process exits with 0
/// within the drain time.
/// </summary>
public sealed partial class ShutdownTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stop_NeverClosingStreams_EndWithUnavailableAfterEveryEntryIsAnalysed()
    {
        var server = await AlsTestServer.StartAsync("ShutdownDrainSeconds=4");
        using var streams = new OpenStreams(server.GrpcAddress);
        var sent = await SendAsync(streams, httpEntries: 3, metricsFlushes: 2);
        await WaitForOpenStreamsAsync(server.Http, 3);

        var clock = Stopwatch.StartNew();
        await server.StopAsync(TimeSpan.FromSeconds(30));
        var stopped = clock.Elapsed;
        var statuses = await streams.StatusesAsync(TimeSpan.FromSeconds(10));
        await server.DisposeAsync();

        Assert.All(statuses, s => Assert.Equal((StatusCode.Unavailable, IngestStreamLoop.ShuttingDownDetail), (s.StatusCode, s.Detail)));
        Assert.Equal(3, statuses.Count);
        Assert.True(stopped < TimeSpan.FromSeconds(4), $"stopped in {stopped}");
        var drained = Assert.Single(server.Logs.Entries, e => e.Message.StartsWith("Shutdown drained", StringComparison.Ordinal)).Message;
        Assert.Equal((3, 3, sent, 0), DrainedCounts(drained));
        Assert.Contains(server.Logs.Entries, e => e.Message.StartsWith("Shutting down: 3 ingest streams open", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sigterm_ServerProcess_NeverClosingStreams_EndWithStatusAndExitZeroWithinTheDrainTime_AndARestartKeepsEveryEntry()
    {
        // The default data directory ("data" under the working directory), as in the image.
        var work = Directory.CreateTempSubdirectory("als-shutdown-");
        try
        {
            await using var server = await AlsServerProcess.StartAsync(work.FullName, new Dictionary<string, string> { ["ShutdownDrainSeconds"] = "6" }, Ct);
            using var streams = new OpenStreams(server.GrpcAddress);
            var sent = await SendAsync(streams, httpEntries: 5, metricsFlushes: 3);
            await WaitForOpenStreamsAsync(server.Http, 3);

            var clock = Stopwatch.StartNew();
            await server.TerminateAsync(Ct);
            var exited = await server.WaitForExitAsync(TimeSpan.FromSeconds(20), Ct);
            var elapsed = clock.Elapsed;
            var statuses = await streams.StatusesAsync(TimeSpan.FromSeconds(10));

            Assert.True(exited, "still running 20 s after SIGTERM:\n" + server.Log);
            Assert.True(server.ExitCode == 0, $"exit code {server.ExitCode}:\n{server.Log}");
            Assert.True(elapsed < TimeSpan.FromSeconds(6), $"exited {elapsed} after SIGTERM, drain time 6 s:\n{server.Log}");
            Assert.All(statuses, s => Assert.Equal((StatusCode.Unavailable, IngestStreamLoop.ShuttingDownDetail), (s.StatusCode, s.Detail)));
            Assert.Equal(3, statuses.Count);
            var drained = Assert.Single(server.Log.Split('\n'), l => l.Contains("Shutdown drained", StringComparison.Ordinal));
            Assert.Equal((3, 3, sent, 0), DrainedCounts(drained));
            Assert.Contains("Snapshot written at shutdown", server.Log, StringComparison.Ordinal);
            await server.DisposeAsync();

            // Every entry sent before SIGTERM is in the last snapshot: the restarted process answers with all of them.
            await using var restarted = await AlsServerProcess.StartAsync(work.FullName, new Dictionary<string, string>(), Ct);
            using var topology = System.Text.Json.JsonDocument.Parse(await restarted.Http.GetStringAsync(new Uri("/api/v1/topology", UriKind.Relative), Ct));
            var edge = Assert.Single(topology.RootElement.GetProperty("edges").EnumerateArray());
            Assert.Equal(("default/productpage", "default/details"), (edge.GetProperty("source").GetString(), edge.GetProperty("target").GetString()));
            Assert.Equal(2 * 5, edge.GetProperty("client").GetProperty("requests").GetInt64());
            Assert.Equal(1, edge.GetProperty("server").GetProperty("requests").GetInt64());
            Assert.Contains("Restored ", restarted.Log, StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Two access log streams and a metrics stream, left open; returns the entries and samples
    /// the server must count (the metrics stream's first flush is a baseline, but its samples
    /// are received all the same).
    /// </summary>
    private static async Task<long> SendAsync(OpenStreams streams, int httpEntries, int metricsFlushes)
    {
        var call = new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details };
        var entries = Enumerable.Range(0, httpEntries).Select(_ => Calls.Outbound(call)).ToList();
        await streams.AccessLogsAsync([Calls.HttpMessage(entries, Nodes.Sidecar(Mesh.Productpage)), Calls.HttpMessage(entries)], Ct);
        await streams.AccessLogsAsync([Calls.HttpMessage([Calls.Inbound(call)], Nodes.Sidecar(Mesh.Details))], Ct);
        var start = DateTimeOffset.UtcNow.AddSeconds(-20);
        await streams.MetricsAsync(
            Enumerable.Range(0, metricsFlushes).Select(i => new EnvoyStats(start.AddSeconds(5 * i))
                .Gauge("server.memory_allocated", 1000 + i)
                .Counter("listener.0.0.0.0_15006.downstream_cx_total", 10 * i)
                .Message(i == 0 ? Nodes.Sidecar(Mesh.Productpage) : null)),
            Ct);
        return (2 * httpEntries) + 1 + (2 * metricsFlushes);
    }

    /// <summary>Waits until the server has the streams open (what they sent may still be unread).</summary>
    private static async Task WaitForOpenStreamsAsync(HttpClient http, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (PrometheusText.Parse(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), Ct)).Sum("als_streams_open") < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the server did not open {count} streams within 20 s");
            await Task.Delay(20, Ct);
        }
    }

    private static (long Open, long Unavailable, long Total, long StillOpen) DrainedCounts(string line)
    {
        var m = DrainedLine().Match(line);
        Assert.True(m.Success, line);
        return (long.Parse(m.Groups[1].Value), long.Parse(m.Groups[2].Value), long.Parse(m.Groups[3].Value), long.Parse(m.Groups[4].Value));
    }

    [GeneratedRegex(@"Shutdown drained: (\d+) ingest streams were open at the signal, (\d+) ended with UNAVAILABLE; \d+ messages \(\d+ entries or samples\) read after the signal; (\d+) entries or samples received since start, all folded into the aggregates; (\d+) streams still open")]
    private static partial Regex DrainedLine();
}
