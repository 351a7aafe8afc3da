using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Metrics;
using AlsAnalyzer.Protos.Prometheus;

namespace AlsAnalyzer.Core.Tests.Metrics;

public sealed class MetricsUnitTests
{
    [Theory]
    [InlineData("cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_rq_total", "outbound|9080||reviews.default.svc.cluster.local", "upstream_rq_total")]
    [InlineData("cluster.outbound|9080|v1|reviews.default.svc.cluster.local.upstream_rq_pending_overflow", "outbound|9080|v1|reviews.default.svc.cluster.local", "upstream_rq_pending_overflow")]
    [InlineData("cluster.inbound|9080||.upstream_cx_active", "inbound|9080||", "upstream_cx_active")]
    [InlineData("cluster.outbound|443||api.example.com.membership_healthy", "outbound|443||api.example.com", "membership_healthy")]
    [InlineData("cluster.PassthroughCluster.upstream_rq_total", "PassthroughCluster", "upstream_rq_total")]
    [InlineData("cluster.xds-grpc.upstream_cx_total", "xds-grpc", "upstream_cx_total")]
    public void StatName_FlatClusterStat_SplitsClusterAndStat(string name, string cluster, string stat)
    {
        Assert.True(StatName.TryParse(name, [], out var parsed));

        Assert.Equal((name, cluster, stat), (parsed.Key, parsed.Cluster, parsed.ClusterStat));
    }

    [Theory]
    [InlineData("server.memory_allocated")]
    [InlineData("listener.0.0.0.0_15006.downstream_cx_total")]
    [InlineData("cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_rq_time")]
    [InlineData("cluster.upstream_rq_total")]
    public void StatName_NotATrackedClusterStat_IsKeptWhole(string name)
    {
        Assert.True(StatName.TryParse(name, [], out var parsed));

        Assert.Equal((name, (string?)null, (string?)null), (parsed.Key, parsed.Cluster, parsed.ClusterStat));
    }

    [Fact]
    public void StatName_TagsAsLabels_TakesTheClusterFromItsLabelAndKeysByLabelSet()
    {
        List<KeyValuePair<string, string>> labels = [new("envoy.response_code_class", "5"), new("envoy.cluster_name", "outbound|9080||reviews.default.svc.cluster.local")];

        Assert.True(StatName.TryParse("cluster.upstream_rq_xx", labels, out var parsed));

        Assert.Equal("outbound|9080||reviews.default.svc.cluster.local", parsed.Cluster);
        Assert.Equal("upstream_rq_xx", parsed.ClusterStat);
        Assert.Equal("cluster.upstream_rq_xx{envoy.cluster_name=outbound|9080||reviews.default.svc.cluster.local,envoy.response_code_class=5}", parsed.Key);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("tab\tname")]
    [InlineData("new\nline")]
    public void StatName_Unparsable_IsRefused(string name) => Assert.False(StatName.TryParse(name, [], out _));

    [Fact]
    public void Counter_Cumulative_FirstValueIsABaselineThenDifferencesAndRestartsCount()
    {
        var series = new StatSeries(StatKind.Counter, null, null);

        series.Counter(1000, minute: 1, deltas: false);
        series.Counter(1100, minute: 1, deltas: false);
        series.Counter(1300, minute: 2, deltas: false);
        series.Counter(50, minute: 2, deltas: false);

        Assert.Equal(100, series.IncreaseBetween(1, 1));
        Assert.Equal(200 + 50, series.IncreaseBetween(2, 2));
        Assert.Equal(50, series.Last);
    }

    [Fact]
    public void Counter_Deltas_EveryValueIsAnIncrease()
    {
        var series = new StatSeries(StatKind.Counter, null, null);

        series.Counter(7, minute: 1, deltas: true);
        series.Counter(3, minute: 1, deltas: true);
        series.Counter(0, minute: 2, deltas: true);

        Assert.Equal(10, series.IncreaseBetween(1, 2));
    }

    [Fact]
    public void Registry_DeltaMode_SumsReportedValues()
    {
        var registry = new ProxyRegistry(new MetricsServiceOptions { MetricsCountersAsDeltas = true }, new Retention(60));
        var identity = StreamIdentityParser.Parse(null, string.Empty);
        var now = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        var tally = new MetricsTally();
        foreach (var value in new[] { 5.0, 6.0, 4.0 })
        {
            var family = new MetricFamily { Name = "cluster.outbound|80||a.b.svc.cluster.local.upstream_rq_total", Type = MetricType.Counter };
            family.Metric.Add(new Metric { Counter = new Counter { Value = value }, TimestampMs = now.ToUnixTimeMilliseconds() });
            registry.Apply("p", identity, [family], now, tally);
        }

        var series = Assert.Single(Assert.Single(registry.Proxies).Stats.Values);
        Assert.Equal(15, series.IncreaseBetween(0, long.MaxValue));
        Assert.Equal(3, tally.Accepted);
    }

    [Fact]
    public void Registry_IncreasesOlderThanRetention_AreDropped()
    {
        var registry = new ProxyRegistry(new MetricsServiceOptions { ProxyExpiryMinutes = 60 }, new Retention(10));
        var identity = StreamIdentityParser.Parse(null, string.Empty);
        var start = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        var tally = new MetricsTally();
        for (var i = 0; i < 3; i++)
        {
            var family = new MetricFamily { Name = "c", Type = MetricType.Counter };
            family.Metric.Add(new Metric { Counter = new Counter { Value = 100 * (i + 1) }, TimestampMs = start.AddMinutes(i).ToUnixTimeMilliseconds() });
            registry.Apply("p", identity, [family], start.AddMinutes(i), tally);
        }

        registry.Expire(start.AddMinutes(11));

        var series = Assert.Single(Assert.Single(registry.Proxies).Stats.Values);
        Assert.Equal(100, series.IncreaseBetween(0, long.MaxValue));
    }

    [Fact]
    public void Registry_MemoryBudgetFull_NewProxiesAndStatsRefusedAndExpiryFreesIt()
    {
        // Arrange: room for one proxy and a few stats.
        var budget = ProxyRegistry.BytesPerProxy + (3 * ProxyRegistry.BytesPerStat);
        var registry = new ProxyRegistry(new MetricsServiceOptions { ProxyExpiryMinutes = 1 }, new Retention(60), budget);
        var identity = StreamIdentityParser.Parse(null, string.Empty);
        var now = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        var tally = new MetricsTally();
        var all = Enumerable.Range(0, 20).Select(i =>
        {
            var family = new MetricFamily { Name = "gauge_" + i, Type = MetricType.Gauge };
            family.Metric.Add(new Metric { Gauge = new Gauge { Value = i } });
            return family;
        });
        var families = new Google.Protobuf.Collections.RepeatedField<MetricFamily> { all };

        // Act
        registry.Apply("p", identity, families, now, tally);
        var second = registry.Apply("q", identity, families, now, tally);

        // Assert
        var kept = Assert.Single(registry.Proxies).Stats.Count;
        Assert.InRange(kept, 1, 19);
        Assert.False(second);
        Assert.Equal(40 - kept, tally.Rejected[(int)SampleRejectReason.MemoryBudget]);
        Assert.InRange(registry.EstimatedBytes, budget, budget + 1_000);

        registry.Expire(now.AddMinutes(5));
        Assert.Equal(0, registry.EstimatedBytes);
    }
}
