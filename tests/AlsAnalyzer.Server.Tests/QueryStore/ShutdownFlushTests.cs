using System.Diagnostics;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Server.Tests.QueryStore;

/// <summary>
/// Hand-over: SIGTERM to the real server process pushes what it counted since its last push
/// (new series first at 0, so <c>increase()</c> sees all of their calls) before it exits,
/// well inside Kubernetes' 30 s grace period.
/// </summary>
public sealed class ShutdownFlushTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sigterm_LastSeriesReachTheStore_ExitWellUnder30s()
    {
        await using var victoria = await MetricsBackend.StartVictoriaMetricsAsync();
        var work = Directory.CreateTempSubdirectory("als-flush-");
        try
        {
            // One push an hour: only the push at shutdown can deliver these calls.
            await using var server = await AlsServerProcess.StartAsync(
                work.FullName,
                new Dictionary<string, string>
                {
                    ["RemoteWriteUrl"] = victoria.RemoteWriteUrl.ToString(),
                    ["RemoteWriteIntervalSeconds"] = "3600",
                    ["ReplicaName"] = "als-leaving",
                    ["Snapshots"] = "off",
                },
                Ct);
            var mesh = ReplicaMesh.Build(DateTimeOffset.UtcNow.AddSeconds(-5));
            using (var client = new AlsClient(server.GrpcAddress))
            {
                await mesh.SendAsync(client);
            }

            var clock = Stopwatch.StartNew();
            await server.TerminateAsync(Ct);
            Assert.True(await server.WaitForExitAsync(TimeSpan.FromSeconds(30), Ct), server.Log);
            var exitedAfter = clock.Elapsed;
            Assert.Equal(0, server.ExitCode);
            Assert.True(exitedAfter < TimeSpan.FromSeconds(15), $"exit took {exitedAfter}");
            Assert.Contains("Remote write at shutdown:", server.Log, StringComparison.Ordinal);

            // Every call (the store makes them searchable within a second or so), and increase()
            // counts all of them (the series began at 0).
            await victoria.WaitForAsync("sum(istio_requests_total{reporter=\"destination\",replica=\"als-leaving\"})", 60 + 10 + 18 + 25, TimeSpan.FromSeconds(30));
            Assert.Equal(60 + 10 + 20 + 25, await victoria.ScalarAsync("sum(istio_requests_total{reporter=\"source\"})"));
            Assert.Equal(25, await victoria.ScalarAsync("sum(increase(istio_requests_total{reporter=\"destination\",destination_canonical_service=\"ratings\"}[10m]))"));
            Assert.Equal(4, await victoria.ScalarAsync("sum(istio_tcp_connections_closed_total{reporter=\"destination\"})"));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
