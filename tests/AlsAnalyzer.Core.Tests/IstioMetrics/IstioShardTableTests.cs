using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.IstioMetrics;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Tests.IstioMetrics;

public sealed class IstioShardTableTests
{
    private static readonly NodeRef Productpage = NodeRef.Service("default", "productpage");
    private static readonly NodeRef Reviews = NodeRef.Service("default", "reviews");

    /// <summary>Each changes one part of the series key (or, for the last ones, only the figures).</summary>
    public static TheoryData<string> Variations =>
    [
        "status", "grpc", "flags", "reporter", "security", "source-workload", "destination-workload",
        "source-principal", "destination-principal", "host", "source", "destination", "caller", "tcp",
        "no-upstream", "waypoint-no-upstream", "wide-status", "invalid-status", "wide-grpc", "high-flags",
        "equal-copies", "figures",
    ];

    [Theory]
    [MemberData(nameof(Variations))]
    public void Memo_HitsAndEveryKindOfMiss_GiveTheSeriesOfPlainLookups(string variation)
    {
        // Parts only some reporters label with are varied on a record of such a reporter.
        var baseline = variation switch
        {
            "security" or "source-principal" or "destination-principal" => Vary(Outbound(), "reporter"),
            "caller" => Vary(Outbound(), "waypoint"),
            _ => Outbound(),
        };
        var other = Vary(baseline, variation);

        // Alternating on one edge: each record either finds its own key in the memo or misses it.
        // Records of other nodes go to their own edge, as a minute bucket gives them: an edge
        // with a memo is one (source, target) pair, so the memo does not check the nodes (the
        // overflow edge, which holds many edges' records, has no memo; see below).
        SideRecord[] sequence = [baseline, other, other, baseline, other, baseline, baseline];
        var memoised = new IstioShardTable();
        var plain = new IstioShardTable();
        var edges = new Dictionary<EdgeKey, EdgeStats>();
        foreach (var r in sequence)
        {
            var key = new EdgeKey(r.Source, r.Target, r.Protocol);
            if (!edges.TryGetValue(key, out var edge))
            {
                edges[key] = edge = new ShardEdgeStats();
            }

            memoised.Record(r, edge);
            plain.Record(r);
        }

        AssertSameCells(plain, memoised);
        Assert.True(memoised.MemoHits >= 2, $"{memoised.MemoHits} memo hits");
        Assert.True(IstioShardTable.TryKey(baseline, out var a));
        Assert.True(IstioShardTable.TryKey(other, out var b));
        var sameKey = a.Equals(b);
        Assert.Equal(variation is "equal-copies" or "figures", sameKey);
        Assert.Equal(sameKey ? 1 : 2, memoised.Cells.Count);
    }

    [Fact]
    public void MemoTag_EachIntegerPartInItsOwnBits_AndPartsThatDoNotFitGiveNone()
    {
        SideRecord[] records =
        [
            Outbound(), Vary(Outbound(), "status"), Vary(Outbound(), "grpc"), Vary(Outbound(), "flags"),
            Vary(Outbound(), "high-flags"), Vary(Outbound(), "reporter"), Vary(Vary(Outbound(), "reporter"), "security"),
            Vary(Outbound(), "tcp"), Vary(Outbound(), "no-upstream"), Vary(Outbound(), "waypoint"),
            Vary(Outbound(), "waypoint-no-upstream"),
        ];
        var tags = records.Select(r =>
        {
            Assert.True(IstioShardTable.TryTag(r, out var tag));
            return tag;
        }).ToList();
        Assert.Equal(tags.Count, tags.Distinct().Count());
        Assert.All(tags, t => Assert.NotEqual(0UL, t));

        // Mutual TLS labels only a destination's series: a source's records with and without it share a tag.
        Assert.True(IstioShardTable.TryTag(Vary(Outbound(), "security"), out var outboundPlain));
        Assert.Equal(tags[0], outboundPlain);

        Assert.False(IstioShardTable.TryTag(Vary(Outbound(), "wide-status"), out _));
        Assert.False(IstioShardTable.TryTag(Vary(Outbound(), "invalid-status"), out _));
        Assert.False(IstioShardTable.TryTag(Vary(Outbound(), "wide-grpc"), out _));
    }

    [Fact]
    public void Memo_OverflowEdgeOfAFullBucket_HoldsManyEdgesRecords_EachKeepsItsLabels()
    {
        // One edge per minute: the next edges' records land on the bucket's overflow edge, whose
        // records have many edges' nodes. Through a shard buffer, as ingest adds them. The
        // overflow edge keeps no memo (a memo's hit is not checked against the nodes), so its
        // records are looked up and each keeps its own labels.
        var memoised = new IstioShardTable();
        var plain = new IstioShardTable();
        var buffer = new ShardBuffer(new AggregationOptions { MaxEdgesPerMinute = 1 }, memoised);
        SideRecord[] records = [Outbound(), Vary(Outbound(), "destination"), Vary(Outbound(), "source"), Vary(Outbound(), "destination"), Vary(Outbound(), "source")];
        for (var round = 0; round < 3; round++)
        {
            foreach (var r in records)
            {
                buffer.Record(r);
                plain.Record(r);
            }
        }

        AssertSameCells(plain, memoised);
        Assert.Equal(3, memoised.Cells.Count);
        var bucket = Assert.Single(buffer.Buckets).Value;
        Assert.Equal(2, bucket.Edges.Count);
        var overflow = bucket.Edges.Single(e => e.Key.Source == NodeRef.Overflow).Value;
        Assert.Equal(12, overflow.Client!.Calls);
        Assert.IsNotType<ShardEdgeStats>(overflow);
        Assert.IsType<ShardEdgeStats>(bucket.Edges.Single(e => e.Key.Source != NodeRef.Overflow).Value);

        // The first edge's own records (the first of each round) found their cell in its memo.
        Assert.Equal(2, memoised.MemoHits);
    }

    [Fact]
    public void Memo_RepeatedKey_IsAHit()
    {
        var table = new IstioShardTable();
        var edge = new ShardEdgeStats();

        // The first record looks its key up and leaves it in the edge's memo; the next ones find it there.
        table.Record(Outbound(), edge);
        Assert.Equal(0, table.MemoHits);
        table.Record(Outbound(), edge);
        table.Record(Outbound(), edge);
        table.Record(Outbound(), edge);

        Assert.Equal(3, table.MemoHits);
        Assert.Equal(4, Assert.Single(table.Cells).Value.Requests);

        // A plain edge (a buffer without a table gives those) has no memo: the record is looked up.
        table.Record(Outbound(), new EdgeStats());
        Assert.Equal(3, table.MemoHits);
        Assert.Equal(5, Assert.Single(table.Cells).Value.Requests);
    }

    [Fact]
    public void Table_MoreDistinctKeysThanItsCap_KeepsTheCapAndFoldsTheRestIntoOverflowCounted()
    {
        var store = new IstioSeriesStore(new IstioMetricsOptions { IstioMaxSeries = 3 }, TimeProvider.System);
        var table = (IstioShardTable)store.Rent();

        // All on one edge: the keys that found a cell are memoised, the overflow cell never is.
        var edge = new ShardEdgeStats();
        for (var i = 0; i < 10; i++)
        {
            var r = Outbound();
            r.StatusCode = 200 + i;
            table.Record(r, edge);
            table.Record(r, edge);
        }

        var tcp = Vary(Outbound(), "tcp");
        table.Record(tcp, edge);
        Assert.Equal(3, table.MemoHits);

        Assert.Equal(3, table.Cells.Count);
        Assert.Equal(14, table.OverflowHttp!.Records);
        Assert.Equal(1, table.OverflowTcp!.Records);
        Assert.Equal(21, table.Cells.Values.Sum(c => c.Records) + table.OverflowHttp.Records + table.OverflowTcp.Records);

        store.Fold(table);

        // Every record is in a series: the 3 keys' own and the two overflow ones, the latter counted.
        Assert.Equal(15, store.FoldedRecords);
        Assert.Equal(0, table.OverflowHttp.Records);
        var text = new System.Buffers.ArrayBufferWriter<byte>();
        store.WriteText(text, openMetrics: false);
        var body = System.Text.Encoding.UTF8.GetString(text.WrittenSpan);
        Assert.Contains("overflow", body, StringComparison.Ordinal);
    }

    [Fact]
    public void Fold_TableMoreThanHalfFull_LetsIdleKeysGoAtOnce()
    {
        var store = new IstioSeriesStore(new IstioMetricsOptions { IstioMaxSeries = 4 }, TimeProvider.System);
        var table = (IstioShardTable)store.Rent();
        for (var i = 0; i < 3; i++)
        {
            var r = Outbound();
            r.StatusCode = 200 + i;
            table.Record(r);
        }

        store.Fold(table);
        Assert.Equal(3, table.Cells.Count);

        // Nothing recorded since: over half of the cap, the idle keys go at the next fold.
        store.Fold(table);
        Assert.Empty(table.Cells);
    }

    [Fact]
    public void Memo_ManyKeysOnOneEdge_SlotsReplacedWithoutLosingRecords()
    {
        // More distinct status codes than an edge's memo has slots, in two reporters.
        var records = new List<SideRecord>();
        for (var i = 0; i < 200; i++)
        {
            var r = Vary(Outbound(), i % 3 == 0 ? "reporter" : "none");
            r.StatusCode = 200 + (i * 7 % 23);
            records.Add(r);
        }

        var memoised = new IstioShardTable();
        var plain = new IstioShardTable();
        var edge = new ShardEdgeStats();
        foreach (var r in records)
        {
            memoised.Record(r, edge);
            plain.Record(r);
        }

        AssertSameCells(plain, memoised);
    }

    [Fact]
    public void Fold_CellRemovedForIdleness_TheNextBuffersEdgeCountsInANewCell()
    {
        var store = new IstioSeriesStore(new IstioMetricsOptions(), TimeProvider.System);
        var table = (IstioShardTable)store.Rent();
        table.Record(Outbound(), new ShardEdgeStats());
        var first = Assert.Single(table.Cells).Value;
        store.Fold(table);
        for (var i = 0; i <= IstioShardTable.IdleFoldsBeforeRemoval; i++)
        {
            Assert.Same(table, store.Rent());
            store.Fold(table);
        }

        Assert.Empty(table.Cells);

        // A new buffer's edges are new objects: nothing points at the cell let go.
        Assert.Same(table, store.Rent());
        var nextEdge = new ShardEdgeStats();
        table.Record(Outbound(), nextEdge);
        table.Record(Outbound(), nextEdge);
        var next = Assert.Single(table.Cells).Value;
        Assert.NotSame(first, next);
        Assert.Equal((1L, 2L), (table.MemoHits, next.Requests));
        Assert.Equal(0, first.Requests);
    }

    [Fact]
    public void NotCounted_RecordsWithoutIstioReport_LeaveNoCellAndNoMemo()
    {
        var table = new IstioShardTable();
        var edge = new ShardEdgeStats();
        var r = Outbound();
        r.Istio = IstioReport.None;
        table.Record(r, edge);

        Assert.Empty(table.Cells);
        Assert.Equal(0, edge.Memo.Next);
        Assert.Null(edge.Memo.Refs[0]);
    }

    [Fact]
    public void BucketLookup_AgreesWithTheBinarySearch_AtEveryBoundAndBetween()
    {
        var random = new Random(13);
        foreach (var (lookup, bounds) in new[] { (BucketLookup.Micros, IstioNames.MicrosBounds), (BucketLookup.Doubled, IstioNames.DoubledBounds) })
        {
            var values = new List<long> { 0, 1, 2, 3, long.MaxValue / 2, long.MaxValue };
            foreach (var b in bounds)
            {
                values.AddRange([b - 1, b, b + 1, b * 2, (b * 3) / 2]);
            }

            for (var e = 0; e < 63; e++)
            {
                values.AddRange([(1L << e) - 1, 1L << e, (1L << e) + 1]);
            }

            for (var i = 0; i < 10_000; i++)
            {
                values.Add(random.NextInt64(0, 8_000_000_000));
            }

            foreach (var v in values.Where(v => v >= 0))
            {
                Assert.True(IstioNames.Bucket(v, bounds) == lookup.Of(v), $"value {v}: {IstioNames.Bucket(v, bounds)} by search, {lookup.Of(v)} by lookup");
            }
        }
    }

    [Fact]
    public void Cell_FiguresAndHistograms_FoldIntoTheSeriesCounts()
    {
        var table = new IstioShardTable();
        var r = Outbound();
        table.Record(r);
        r.LatencyMicros = 7_000_000;
        r.BytesSent = 0;
        r.BytesReceived = 2_000;
        table.Record(r);
        var cell = Assert.Single(table.Cells).Value;
        Assert.Equal(3 * IstioNames.Buckets, Buckets(cell).Length);

        var counts = new IstioCounts();
        counts.Add(cell);
        counts.Add(cell);

        Assert.Equal((4, 4, 2 * 7_001_500, 20, 2 * 2_020), (counts.Records, counts.Requests, counts.DurationMicrosSum, counts.RequestBytesSum, counts.ResponseBytesSum));
        long[] expected = new long[3 * IstioNames.Buckets];
        expected[IstioCounts.DurationOffset + 2] = 2; // 1.5 ms: (1, 5]
        expected[IstioCounts.DurationOffset + 12] = 2; // 7 s: (5000, 10000]
        expected[IstioCounts.RequestBytesOffset + 3] = 2; // 10 B: (5, 10]
        expected[IstioCounts.RequestBytesOffset + 0] = 2; // 0 B
        expected[IstioCounts.ResponseBytesOffset + 4] = 2; // 20 B: (10, 25]
        expected[IstioCounts.ResponseBytesOffset + 10] = 2; // 2000 B: (1000, 2500]
        Assert.Equal(expected, counts.Buckets);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(65_535)]
    [InlineData(65_536)]
    [InlineData(65_537)]
    [InlineData(200_003)]
    public void Cell_BucketCountedIn16BitsWithCarry_GivesEveryObservation_AndClearKeepsTheCarryArray(int observations)
    {
        IstioShardTable.TryKey(Outbound(), out var key);
        var cell = new IstioShardCell(key);
        for (var i = 0; i < observations; i++)
        {
            cell.Observe(7);
            if (i % 3 == 0)
            {
                cell.Observe(59);
            }
        }

        var counts = new IstioCounts();
        counts.Add(cell);
        Assert.Equal(observations, counts.Buckets[7]);
        Assert.Equal((observations + 2) / 3, counts.Buckets[59]);
        Assert.Equal(observations + ((observations + 2) / 3), counts.Buckets.Sum());
        Assert.Equal(observations >= 65_536, cell.Carry is not null);

        // Cleared at a fold: counting starts again at 0, without a new carry array.
        var carry = cell.Carry;
        cell.Clear();
        Assert.Equal((0L, 0L), (cell.Bucket(7), cell.Bucket(59)));
        Assert.Same(carry, cell.Carry);
        cell.Observe(7);
        Assert.Equal(1, cell.Bucket(7));
    }

    [Fact]
    public void BucketLookup_BoundsCloserThanTwice_Rejected()
    {
        Assert.Throws<ArgumentException>(() => new BucketLookup([1, 10, 15]));
        Assert.Throws<ArgumentException>(() => new BucketLookup([0, 10]));
        Assert.Equal(2, new BucketLookup([1, 10, 20]).Of(11));
    }

    private static void AssertSameCells(IstioShardTable expected, IstioShardTable actual)
    {
        Assert.Equal(expected.Cells.Count, actual.Cells.Count);
        foreach (var (key, e) in expected.Cells)
        {
            Assert.True(actual.Cells.TryGetValue(key, out var a), "a series of the plain table is missing");
            Assert.Equal(
                (e.Records, e.Requests, e.DurationMicrosSum, e.RequestBytesSum, e.ResponseBytesSum, e.TcpSentBytes, e.TcpReceivedBytes, e.TcpOpened, e.TcpClosed),
                (a.Records, a.Requests, a.DurationMicrosSum, a.RequestBytesSum, a.ResponseBytesSum, a.TcpSentBytes, a.TcpReceivedBytes, a.TcpOpened, a.TcpClosed));
            Assert.Equal(Buckets(e), Buckets(a));
        }
    }

    private static long[] Buckets(IstioShardCell cell) => [.. Enumerable.Range(0, 3 * IstioNames.Buckets).Select(cell.Bucket)];

    private static SideRecord Outbound() => new()
    {
        Istio = IstioReport.Source,
        Reporter = ReporterSide.Client,
        Protocol = TrafficProtocol.Http,
        Source = Productpage,
        Target = Reviews,
        SourceInstance = "productpage-v1-1",
        TargetInstance = "reviews-v1-1",
        Endpoint = "GET /reviews",
        SourceWorkload = new WorkloadId("productpage-v1", "v1", "c1"),
        TargetWorkload = new WorkloadId("reviews-v1", "v1", "c1"),
        SourcePrincipal = "spiffe://cluster.local/ns/default/sa/productpage",
        TargetPrincipal = "spiffe://cluster.local/ns/default/sa/reviews",
        DestinationHost = "reviews.default.svc.cluster.local",
        CallerPrincipal = string.Empty,
        StatusCode = 200,
        GrpcStatus = -1,
        LatencyMicros = 1500,
        BytesSent = 10,
        BytesReceived = 20,
        Mtls = true,
    };

    private static SideRecord Vary(SideRecord r, string variation)
    {
        switch (variation)
        {
            case "none":
                break;
            case "status":
                r.StatusCode = 503;
                break;
            case "grpc":
                r.GrpcStatus = 14;
                break;
            case "flags":
                r.Flags = 1u << 3;
                break;
            case "reporter":
                r.Istio = IstioReport.Destination;
                r.Reporter = ReporterSide.Server;
                break;
            case "security":
                r.Mtls = false;
                break;
            case "source-workload":
                r.SourceWorkload = new WorkloadId("productpage-v2", "v2", "c1");
                break;
            case "destination-workload":
                r.TargetWorkload = new WorkloadId("reviews-v2", "v2", "c1");
                break;
            case "source-principal":
                r.SourcePrincipal = "spiffe://cluster.local/ns/default/sa/other";
                break;
            case "destination-principal":
                r.TargetPrincipal = "spiffe://cluster.local/ns/default/sa/other";
                break;
            case "host":
                r.DestinationHost = "reviews.other.svc.cluster.local";
                break;
            case "source":
                r.Source = NodeRef.Service("default", "details");
                break;
            case "destination":
                r.Target = NodeRef.Service("default", "ratings");
                break;
            case "waypoint":
                // A waypoint's upstream half: its edge runs from the waypoint, its series from the caller.
                r.Istio = IstioReport.Waypoint;
                r.Source = NodeRef.Service("default", "waypoint");
                r.Caller = Productpage;
                r.CallerWorkload = new WorkloadId("productpage-v1", "v1", "c1");
                break;
            case "caller":
                // Two callers through one waypoint: one edge, two series.
                r.Caller = NodeRef.Service("default", "details");
                r.CallerWorkload = new WorkloadId("details-v1", "v1", "c1");
                break;
            case "tcp":
                r.Protocol = TrafficProtocol.Tcp;
                r.Connections = 1;
                r.ConnectionsOpened = 1;
                break;
            case "no-upstream":
                // A gateway that answered by itself: counted from its server half.
                r.Istio = IstioReport.SourceNoUpstream;
                r.Reporter = ReporterSide.Server;
                break;
            case "waypoint-no-upstream":
                r.Istio = IstioReport.WaypointNoUpstream;
                r.Reporter = ReporterSide.Server;
                break;
            case "wide-status":
                // Parts beyond what a memo's tag packs: such records are looked up without it.
                r.StatusCode = 70_000;
                break;
            case "invalid-status":
                r.StatusCode = -5;
                break;
            case "wide-grpc":
                r.GrpcStatus = 300;
                break;
            case "high-flags":
                r.Flags = 1u << 31;
                break;
            case "equal-copies":
                // Equal values in other objects (another pod's identity, a string built again).
                r.SourceWorkload = new WorkloadId("productpage-v1", "v1", "c1");
                r.DestinationHost = string.Concat("reviews.default", ".svc.cluster.local");
                break;
            case "figures":
                r.LatencyMicros = 2_000_000;
                r.BytesSent = 5_000;
                r.BytesReceived = -1;
                break;
            default:
                throw new ArgumentException(variation, nameof(variation));
        }

        return r;
    }
}
