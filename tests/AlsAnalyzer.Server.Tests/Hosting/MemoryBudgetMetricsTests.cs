using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Server.Tests.Hosting;

/// <summary>The memory budget's shares and use on /metrics, from the setting.</summary>
public sealed class MemoryBudgetMetricsTests
{
    private static readonly string[] DecodeTables = ["strings", "endpoints", "endpoint_paths", "clusters", "peers", "ip_names", "certificate_callers"];

    [Fact]
    public async Task Metrics_MemoryBudgetSetting_SharesAndUseExported()
    {
        await using var server = await AlsTestServer.StartAsync("MemoryBudgetMegabytes=100");

        var metrics = await server.ScrapeAsync();

        const long total = 100L * 1024 * 1024;
        Assert.Equal(total / 100 * 40, metrics.Get("als_memory_budget_bytes{share=\"aggregation_ring\"}"));
        Assert.Equal(total / 100 * 25, metrics.Get("als_memory_budget_bytes{share=\"decode_tables\"}"));
        Assert.Equal(0, metrics.Get("als_memory_estimated_bytes{share=\"aggregation_ring\"}"));
        Assert.Equal(0, metrics.Get("als_aggregation_evicted_buckets_total"));
        Assert.Equal(0, metrics.Get("als_tcp_connections_untracked_total"));
        Assert.Equal(0, metrics.Get("als_metric_samples_rejected_total{reason=\"memory_budget\"}"));
    }

    [Theory]
    [InlineData("MemoryBudgetMegabytes=100", 25)] // the decode share (25 MiB) is below DecodeTableMegabytes' 128
    [InlineData("MemoryBudgetMegabytes=1000", 128)] // DecodeTableMegabytes (128 MiB) is below the share (250 MiB)
    public async Task DecodeTables_ByteCaps_AtMostTheirShareOfTheBudget(string setting, long expectedMegabytes)
    {
        await using var server = await AlsTestServer.StartAsync(setting);

        var metrics = await server.ScrapeAsync();

        var capacity = DecodeTables.Sum(table => metrics.Get($"als_decode_table_byte_capacity{{table=\"{table}\"}}"));
        Assert.InRange(capacity, expectedMegabytes * 1024 * 1024 * 99 / 100, expectedMegabytes * 1024 * 1024);
    }
}
