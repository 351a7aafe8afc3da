using System.Buffers;
using System.Globalization;
using System.Text;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.IstioMetrics;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Tests.IstioMetrics;

public sealed class IstioSeriesStoreTests
{
    private static readonly NodeRef Productpage = NodeRef.Service("default", "productpage");
    private static readonly NodeRef Reviews = NodeRef.Service("default", "reviews");

    [Fact]
    public void Fold_PodsOfOneWorkload_ShareOneSeries()
    {
        var store = Store(out _);
        var table = (IstioShardTable)store.Rent();

        // Two pods' identities: equal values, different objects.
        table.Record(Inbound(new WorkloadId("productpage-v1", "v1", "c1"), status: 200));
        table.Record(Inbound(new WorkloadId("productpage-v1", "v1", "c1"), status: 200));
        store.Fold(table);

        var requests = Requests(Scrape(store, times: 2));
        var (labels, value) = Assert.Single(requests);
        Assert.Equal(2, value);
        Assert.Contains("source_workload=\"productpage-v1\"", labels, StringComparison.Ordinal);
        Assert.Contains("destination_service=\"reviews.default.svc.cluster.local\"", labels, StringComparison.Ordinal);
        Assert.Contains("connection_security_policy=\"mutual_tls\"", labels, StringComparison.Ordinal);
        Assert.Equal((1, 0), store.Counts());
    }

    [Fact]
    public void NewSeries_PublishedAtZeroUntilTheScrapeReadIt_ThenItsCounts()
    {
        var store = Store(out _);
        Scrape(store, times: 1);
        var table = (IstioShardTable)store.Rent();
        for (var i = 0; i < 3; i++)
        {
            table.Record(Inbound(WorkloadId.Unknown, status: 503));
        }

        store.Fold(table);

        Assert.Equal(0, Assert.Single(Requests(Scrape(store, times: 1))).Value);
        Assert.Equal(3, Assert.Single(Requests(Scrape(store, times: 1))).Value);
    }

    [Fact]
    public void NewSeries_WithRemoteWrite_HeldUntilBothConsumersReadIt()
    {
        var store = Store(out _);
        store.RemoteWriteConsumer = true;
        Scrape(store, times: 1);
        var table = (IstioShardTable)store.Rent();
        table.Record(Inbound(WorkloadId.Unknown, status: 200));
        store.Fold(table);

        Assert.Equal(0, Assert.Single(Requests(Scrape(store, times: 1))).Value);
        Assert.Equal(0, Assert.Single(Requests(Scrape(store, times: 1))).Value);
        var snapshot = Assert.Single(store.Snapshot(out _));
        Assert.Equal(0, snapshot.Counts.Requests);
        Assert.Equal(1, Assert.Single(Requests(Scrape(store, times: 1))).Value);
        Assert.Equal(1, Assert.Single(store.Snapshot(out _)).Counts.Requests);
    }

    [Fact]
    public void Cap_FurtherLabelSetsFoldIntoOverflow_AndAreCounted()
    {
        var store = new IstioSeriesStore(new IstioMetricsOptions { IstioMaxSeries = 1 }, new ManualTime());
        var table = (IstioShardTable)store.Rent();
        table.Record(Inbound(WorkloadId.Unknown, status: 200));
        table.Record(Inbound(WorkloadId.Unknown, status: 500));
        table.Record(Inbound(WorkloadId.Unknown, status: 500));
        store.Fold(table);

        var requests = Requests(Scrape(store, times: 2));
        Assert.Equal(2, requests.Count);
        Assert.Equal(2, requests.Single(r => r.Labels.Contains("source_workload=\"overflow\"", StringComparison.Ordinal)).Value);
        Assert.Equal(2, store.FoldedRecords);
    }

    [Fact]
    public void IdleSeries_DroppedAfterTheIdleTime()
    {
        var store = Store(out var time);
        var table = (IstioShardTable)store.Rent();
        table.Record(Inbound(WorkloadId.Unknown, status: 200));
        store.Fold(table);
        Assert.Single(Requests(Scrape(store, times: 2)));

        time.Advance(TimeSpan.FromSeconds(61));
        store.Fold(store.Rent());

        Assert.Empty(Requests(Scrape(store, times: 1)));
        Assert.Equal(1, store.ExpiredSeries);
    }

    [Fact]
    public void Histograms_EnvoyBounds_InclusiveUpperBounds()
    {
        Assert.Equal(0, IstioNames.Bucket(500, IstioNames.MicrosBounds));
        Assert.Equal(1, IstioNames.Bucket(501, IstioNames.MicrosBounds));
        Assert.Equal(IstioNames.Bounds.Length, IstioNames.Bucket(4_000_000_000, IstioNames.MicrosBounds));
        Assert.Equal(0, IstioNames.Bucket(0 * 2, IstioNames.DoubledBounds));
        Assert.Equal(1, IstioNames.Bucket(1 * 2, IstioNames.DoubledBounds));
        Assert.Equal(2, IstioNames.Bucket(2 * 2, IstioNames.DoubledBounds));
    }

    [Fact]
    public void Waypoint_CountedFromCallerToDestination()
    {
        var store = Store(out _);
        var table = (IstioShardTable)store.Rent();
        var record = Inbound(WorkloadId.Unknown, status: 200);
        record.Istio = IstioReport.Waypoint;
        record.Caller = Productpage;
        record.CallerWorkload = new WorkloadId("productpage-v1", "v1", "c1");
        record.CallerPrincipal = string.Empty;
        record.Source = NodeRef.Service("default", "waypoint");
        table.Record(record);
        store.Fold(table);

        var labels = Assert.Single(Requests(Scrape(store, times: 2))).Labels;
        Assert.Contains("reporter=\"waypoint\"", labels, StringComparison.Ordinal);
        Assert.Contains("source_canonical_service=\"productpage\"", labels, StringComparison.Ordinal);
        Assert.Contains("destination_canonical_service=\"reviews\"", labels, StringComparison.Ordinal);
    }

    private static IstioSeriesStore Store(out ManualTime time)
    {
        time = new ManualTime();
        return new IstioSeriesStore(new IstioMetricsOptions { IstioSeriesIdleSeconds = 60 }, time);
    }

    private static SideRecord Inbound(WorkloadId source, int status) => new()
    {
        Istio = IstioReport.Destination,
        Reporter = ReporterSide.Server,
        Protocol = TrafficProtocol.Http,
        Source = Productpage,
        Target = Reviews,
        SourceWorkload = source,
        TargetWorkload = new WorkloadId("reviews-v1", "v1", "c1"),
        SourcePrincipal = "spiffe://cluster.local/ns/default/sa/productpage",
        TargetPrincipal = "spiffe://cluster.local/ns/default/sa/reviews",
        DestinationHost = string.Empty,
        StatusCode = status,
        GrpcStatus = -1,
        LatencyMicros = 1500,
        BytesSent = 10,
        BytesReceived = 20,
        Mtls = true,
    };

    private static string Scrape(IstioSeriesStore store, int times)
    {
        var text = string.Empty;
        for (var i = 0; i < times; i++)
        {
            var output = new ArrayBufferWriter<byte>();
            store.WriteText(output, openMetrics: false);
            text = Encoding.UTF8.GetString(output.WrittenSpan);
        }

        return text;
    }

    private static List<(string Labels, double Value)> Requests(string text) =>
    [
        .. text.Split('\n')
            .Where(l => l.StartsWith(IstioNames.Requests + "{", StringComparison.Ordinal))
            .Select(l => (l[..l.LastIndexOf(' ')], double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture))),
    ];

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 5, 8, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
