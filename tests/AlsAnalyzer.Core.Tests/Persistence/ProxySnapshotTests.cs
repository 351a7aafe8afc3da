using System.Globalization;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Metrics;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Persistence;
using AlsAnalyzer.Protos.Prometheus;
using Envoy.Config.Core.V3;
using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;

namespace AlsAnalyzer.Core.Tests.Persistence;

/// <summary>The metrics service's proxies in the snapshot: a round trip keeps every proxy's identity and stats, and snapshots without them still load.</summary>
public sealed class ProxySnapshotTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 12, 5, 7, 0, 0, TimeSpan.Zero);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("als-proxy-snapshot-");

    private string SnapshotPath => Path.Combine(_dir.FullName, SnapshotFile.FileName);

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void RoundTrip_EveryProxyIdentityAndStat_IsEqualAfterRestore_AndCountersGoOnFromTheirBaseline()
    {
        var before = Filled();
        SnapshotFile.Write(SnapshotPath, writer => ProxyCodec.Write(writer, before));

        var after = Registry();
        var restored = Read();
        Assert.Equal(2, after.Restore(restored.Proxies));

        Assert.Equal(Describe(before), Describe(after));
        Assert.Equal(before.EstimatedBytes, after.EstimatedBytes);

        // A cumulative counter's next value adds its difference with the restored last value on both.
        Report(before, "sidecar~10.1.2.3~reviews-v1-7f9c.default~default.svc.cluster.local", 4, 900);
        Report(after, "sidecar~10.1.2.3~reviews-v1-7f9c.default~default.svc.cluster.local", 4, 900);
        Assert.Equal(Describe(before), Describe(after));
        var series = after.Proxies.Single(p => p.NodeId.StartsWith("sidecar~", StringComparison.Ordinal)).Stats[Requests];
        Assert.Equal(100 + 250 + 50 + 400, series.IncreaseBetween(0, long.MaxValue));
    }

    [Fact]
    public void SnapshotWithoutProxies_AsWrittenBeforeThem_LoadsTheRingAndNoProxy()
    {
        var aggregator = new Aggregator(new AggregationOptions());
        using (var lease = aggregator.Claim())
        {
            lease.Sink.Record(new SideRecord
            {
                Minute = Start.ToUnixTimeSeconds() / 60,
                Reporter = ReporterSide.Server,
                Protocol = TrafficProtocol.Http,
                Source = NodeRef.Service("default", "productpage"),
                Target = NodeRef.Service("default", "reviews"),
                SourceInstance = string.Empty,
                TargetInstance = string.Empty,
                Endpoint = "GET /reviews",
                StatusCode = 200,
            });
        }

        aggregator.Flush(0);
        var overflow = aggregator.OverflowTotal;
        SnapshotFile.Write(SnapshotPath, writer => aggregator.Read(0, long.MinValue, long.MaxValue, ring =>
        {
            SnapshotCodec.Write(writer, ring, overflow, Start, new Retention(60));
            return 0;
        }));

        var restored = Read();
        var registry = Registry();

        Assert.Single(restored.Minutes);
        Assert.Empty(restored.Proxies);
        Assert.Equal(0, restored.SkippedSections);
        Assert.Equal(0, registry.Restore(restored.Proxies));
        Assert.Equal(0, registry.Count);
    }

    [Fact]
    public void Restore_PastTheProxyCapOrTheBudget_TheRestAreNotRestored()
    {
        SnapshotFile.Write(SnapshotPath, writer => ProxyCodec.Write(writer, Filled()));

        var oneProxy = new ProxyRegistry(new MetricsServiceOptions { MaxProxies = 1 }, new Retention(60));
        var tinyBudget = new ProxyRegistry(new MetricsServiceOptions(), new Retention(60), maxBytes: ProxyRegistry.BytesPerProxy);

        Assert.Equal(1, oneProxy.Restore(Read().Proxies));
        Assert.Equal(0, tinyBudget.Restore(Read().Proxies));
        Assert.Equal(0, tinyBudget.EstimatedBytes);
    }

    [Fact]
    public void Restore_UnknownStatKind_IsRefused()
    {
        var message = new Core.Persistence.Format.Proxy
        {
            NodeId = "p",
            Identity = new Core.Persistence.Format.ProxyIdentity { Node = new Core.Persistence.Format.Node { Name = "x" } },
        };
        message.Stats.Add(new Core.Persistence.Format.Stat { Key = "c", Kind = 7 });

        var ex = Assert.Throws<SnapshotFormatException>(() => ProxyCodec.FromMessage(message));
        Assert.Contains("kind 7", ex.Message, StringComparison.Ordinal);
    }

    private static readonly int[] SidecarRequests = [100, 200, 450, 500];

    private const string Requests = "cluster.outbound|9080||ratings.default.svc.cluster.local.upstream_rq_total";

    private static ProxyRegistry Registry() => new(new MetricsServiceOptions { ProxyExpiryMinutes = 60 }, new Retention(60));

    private static ProxyRegistry Filled()
    {
        var registry = Registry();
        const string sidecar = "sidecar~10.1.2.3~reviews-v1-7f9c.default~default.svc.cluster.local";
        const string gateway = "router~10.1.9.9~istio-ingressgateway-5d.istio-system~istio-system.svc.cluster.local";
        for (var minute = 0; minute < 4; minute++)
        {
            Report(registry, sidecar, minute, SidecarRequests[minute]);
            Report(registry, gateway, minute, 1000 * (minute + 1));
        }

        return registry;
    }

    /// <summary>One flush of a proxy: a cumulative counter, a gauge, a summary with quantiles and a histogram.</summary>
    private static void Report(ProxyRegistry registry, string nodeId, int minute, double requests)
    {
        var now = Start.AddMinutes(minute);
        var node = new Node { Id = nodeId, Cluster = nodeId.Split('~')[2].Split('.')[0] };
        node.Metadata = new Struct();
        node.Metadata.Fields["LABELS"] = Value.ForStruct(new Struct { Fields = { ["app"] = Value.ForString("reviews"), ["version"] = Value.ForString("v1") } });
        node.Metadata.Fields["INSTANCE_IPS"] = Value.ForString("10.1.2.3,fd00::3");
        var identity = StreamIdentityParser.Parse(node, "als");
        var ms = now.ToUnixTimeMilliseconds();
        var counter = new MetricFamily { Name = Requests, Type = MetricType.Counter };
        counter.Metric.Add(new Metric { Counter = new Counter { Value = requests }, TimestampMs = ms });
        var gauge = new MetricFamily { Name = "server.live", Type = MetricType.Gauge };
        gauge.Metric.Add(new Metric { Gauge = new Gauge { Value = 1 }, TimestampMs = ms });
        var summary = new MetricFamily { Name = "cluster.outbound|9080||ratings.default.svc.cluster.local.upstream_rq_time", Type = MetricType.Summary };
        var s = new Summary { SampleCount = 10 + (ulong)minute, SampleSum = 123.5 };
        s.Quantile.Add(new Quantile { Quantile_ = 0.5, Value = 3.5 + minute });
        s.Quantile.Add(new Quantile { Quantile_ = 0.99, Value = 42 });
        summary.Metric.Add(new Metric { Summary = s, TimestampMs = ms });
        var histogram = new MetricFamily { Name = "cluster.outbound|9080||ratings.default.svc.cluster.local.upstream_rq_time", Type = MetricType.Histogram };
        histogram.Metric.Add(new Metric { Histogram = new Histogram { SampleCount = 7 }, TimestampMs = ms });
        registry.Apply(nodeId, identity, new RepeatedField<MetricFamily> { counter, gauge, summary, histogram }, now, new MetricsTally());
    }

    private SnapshotCodec.Restored Read()
    {
        using var file = SnapshotFile.OpenVerified(SnapshotPath, out var length);
        return SnapshotCodec.Read(SnapshotFile.ReadSections(file, length), new AggregationOptions());
    }

    /// <summary>Everything a proxy holds, as text, proxies and stats in order.</summary>
    private static string Describe(ProxyRegistry registry) => string.Join('\n', registry.Proxies.OrderBy(p => p.NodeId, StringComparer.Ordinal).Select(p =>
    {
        var i = p.Identity;
        var identity = string.Join('|', i.Role, i.Node, i.NamedByLabels, i.Instance, i.Workload, i.Version, i.Cluster, string.Join(',', i.InstanceIps), i.LogName, i.WorkloadId);
        var stats = p.Stats.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => string.Join(
            '|',
            s.Key,
            s.Value.Kind,
            s.Value.Cluster ?? "(null)",
            s.Value.ClusterStat ?? "(null)",
            s.Value.Last.ToString(CultureInfo.InvariantCulture),
            s.Value.HasBaseline,
            string.Join(',', s.Value.Increases.Select(x => $"{x.Key}={x.Value}")),
            string.Join(',', s.Value.Quantiles.Select(q => $"{q.Quantile}:{q.Value}"))));
        return $"{p.NodeId} {identity} {p.LastReport:O} {p.EstimatedBytes}\n  " + string.Join("\n  ", stats);
    }));
}
