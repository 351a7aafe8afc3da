using AlsAnalyzer.Server.Hosting;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlsAnalyzer.Server.Tests.Hosting;

/// <summary>
/// The aggregates survive a restart through the snapshot in the data directory; a snapshot
/// that cannot be read is moved aside and the service starts empty; a folder that cannot be
/// written is reported and counted while the service goes on.
/// </summary>
public sealed class SnapshotTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("als-data-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string[] Settings => ["Snapshots=on", "DataDirectory=" + _dir.FullName];

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Restart_TheApiAnswersAsBefore()
    {
        var start = DateTimeOffset.UtcNow.AddMinutes(-3);
        var window = $"from={start.AddMinutes(-1).ToUnixTimeSeconds()}&to={start.AddMinutes(5).ToUnixTimeSeconds()}";
        string before;
        await using (var first = await AlsTestServer.StartAsync(Settings))
        {
            using var client = new AlsClient(first.GrpcAddress);
            await MeshScenario.Build(start).SendAsync(client);
            before = await AnswersAsync(first, window);
            await first.StopAsync(TimeSpan.FromSeconds(30));
            Assert.Contains(first.Logs.Entries, e => e.Message.StartsWith("Snapshot written at shutdown", StringComparison.Ordinal));
        }

        await using var second = await AlsTestServer.StartAsync(Settings);
        var after = await AnswersAsync(second, window);
        var m = await second.ScrapeAsync();

        Assert.Contains("default/reviews", before, StringComparison.Ordinal);
        Assert.Equal(before, after);
        Assert.Equal(1, m.Get("als_snapshot_loads_total{result=\"restored\"}"));
        Assert.Contains(second.Logs.Entries, e => e.Message.StartsWith("Restored ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Restart_MetricsServiceProxies_AreKept()
    {
        await using (var first = await AlsTestServer.StartAsync(Settings))
        {
            using var client = new MetricsClient(first.GrpcAddress);
            var stats = new EnvoyStats(DateTimeOffset.UtcNow).Gauge("server.memory_allocated", 1000).Counter("cluster.x.upstream_rq_total", 5);
            await client.SendAsync([stats.Message(Nodes.Sidecar(Mesh.Details))], cancellationToken: Ct);
            Assert.Equal(1, (await first.ScrapeAsync()).Get("als_proxies_tracked"));
            await first.StopAsync(TimeSpan.FromSeconds(30));
        }

        await using var second = await AlsTestServer.StartAsync(Settings);
        var m = await second.ScrapeAsync();

        Assert.Equal(1, m.Get("als_proxies_tracked"));
        Assert.True(m.Get("als_memory_estimated_bytes{share=\"metrics_service\"}") > 0);
        Assert.Contains(second.Logs.Entries, e => e.Message == "Snapshot: restored 1 of 1 metrics-service proxies");
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("truncated")]
    public async Task UnreadableSnapshot_IsMovedAsideAndTheServiceStartsEmpty(string damage)
    {
        var path = Path.Combine(_dir.FullName, "aggregates.snapshot");
        if (damage == "garbage")
        {
            await File.WriteAllTextAsync(path, "not a snapshot at all, but long enough for a header", Ct);
        }
        else
        {
            await using (var first = await AlsTestServer.StartAsync(Settings))
            {
                using var client = new AlsClient(first.GrpcAddress);
                await MeshScenario.Build(DateTimeOffset.UtcNow).SendAsync(client);
            }

            var whole = await File.ReadAllBytesAsync(path, Ct);
            await File.WriteAllBytesAsync(path, whole[..(whole.Length / 2)], Ct);
        }

        var original = await File.ReadAllBytesAsync(path, Ct);
        await using var server = await AlsTestServer.StartAsync(Settings);
        var m = await server.ScrapeAsync();
        var topology = await server.GetJsonAsync("/api/v1/topology");

        Assert.Equal(1, m.Get("als_snapshot_loads_total{result=\"moved_aside\"}"));
        Assert.Equal(0, topology.GetProperty("edges").GetArrayLength());
        var aside = Assert.Single(_dir.GetFiles("aggregates.snapshot.unreadable-*"));
        Assert.Equal(original, await File.ReadAllBytesAsync(aside.FullName, Ct));
        Assert.False(File.Exists(path));
        var warning = Assert.Single(server.Logs.AtLeast(LogLevel.Warning));
        Assert.Contains("is unreadable", warning, StringComparison.Ordinal);
        Assert.Contains("moved aside to " + aside.FullName, warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnwritableDataDirectory_WriteFailsIsCountedAndTheServiceGoesOn()
    {
        var file = Path.Combine(_dir.FullName, "a-file");
        await File.WriteAllTextAsync(file, "a file where the data folder should be", Ct);
        await using var server = await AlsTestServer.StartAsync("Snapshots=on", "DataDirectory=" + Path.Combine(file, "data"));
        using var client = new AlsClient(server.GrpcAddress);
        await MeshScenario.Build(DateTimeOffset.UtcNow).SendAsync(client);

        var written = server.Services.GetRequiredService<SnapshotStore>().Write(atShutdown: false);
        await MeshScenario.Build(DateTimeOffset.UtcNow).SendAsync(client);
        var m = await server.ScrapeAsync();

        Assert.False(written);
        Assert.Equal(1, m.Get("als_snapshot_writes_total{result=\"failed\"}"));
        Assert.Equal(0, m.Get("als_snapshot_last_success_timestamp_seconds"));
        Assert.True(m.Get("als_entries_analyzed_total") > 0);
        var error = Assert.Single(server.Logs.AtLeast(LogLevel.Error));
        Assert.Contains("the previous snapshot is kept and the service goes on", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PeriodicWrite_UpdatesSizeTimeAndSuccessMetrics()
    {
        await using var server = await AlsTestServer.StartAsync([.. Settings, "SnapshotIntervalSeconds=5"]);
        using var client = new AlsClient(server.GrpcAddress);
        await MeshScenario.Build(DateTimeOffset.UtcNow).SendAsync(client);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        IReadOnlyDictionary<string, double> m;
        while ((m = await server.ScrapeAsync()).Get("als_snapshot_writes_total{result=\"ok\"}") < 1)
        {
            Assert.True(DateTime.UtcNow < deadline, "no snapshot within 30 s at a 5 s interval");
            await Task.Delay(200, Ct);
        }

        Assert.Equal(new FileInfo(Path.Combine(_dir.FullName, "aggregates.snapshot")).Length, m.Get("als_snapshot_bytes"));
        Assert.InRange(m.Get("als_snapshot_last_success_timestamp_seconds"), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.True(m.Get("als_snapshot_duration_seconds") > 0);
    }

    private static async Task<string> AnswersAsync(AlsTestServer server, string window)
    {
        var topology = await server.GetJsonAsync("/api/v1/topology?" + window);
        var services = await server.GetJsonAsync("/api/v1/services?" + window);
        var reviews = await server.GetJsonAsync("/api/v1/services/default/reviews?" + window);
        var productpage = await server.GetJsonAsync("/api/v1/services/default/productpage?" + window);
        return string.Join('\n', topology, services, reviews, productpage);
    }
}
