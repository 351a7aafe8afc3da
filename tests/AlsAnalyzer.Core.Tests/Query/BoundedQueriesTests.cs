using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Query;
using AlsAnalyzer.Core.Tests.Support;

namespace AlsAnalyzer.Core.Tests.Query;

/// <summary>The limited answers: busiest nodes and edges, what they omit, and the same figures as an unlimited fold.</summary>
public sealed class BoundedQueriesTests
{
    private static readonly QueryWindow Window = new(TestMesh.Now.AddMinutes(-5), TestMesh.Now);
    private static readonly long Minute = TestMesh.MinuteOf(TestMesh.Now);

    private readonly SortedDictionary<long, MinuteBucket> _minutes = [];

    [Fact]
    public void Topology_MoreEdgesThanLimit_KeepsBusiestAndCountsWhatItOmits()
    {
        // Arrange: a hub called by five services; caller i makes i * 10 calls, split over two minutes.
        var hub = Node("hub");
        for (var i = 1; i <= 5; i++)
        {
            Record(Minute - 1, Node("c" + i), hub, ReporterSide.Server, calls: i * 5);
            Record(Minute, Node("c" + i), hub, ReporterSide.Server, calls: i * 5);
        }

        // Act: three nodes: the hub and the two busiest callers.
        var topology = TopologyQueries.Topology(Slices(), Window, ns: null, new QueryLimit(3));

        // Assert
        Assert.True(topology.Truncated);
        Assert.Equal(["ns/c4", "ns/c5", "ns/hub"], topology.Nodes.Select(n => n.Id));
        Assert.Equal([("ns/c4", 40L), ("ns/c5", 50L)], topology.Edges.Select(e => (e.Source, e.Requests!.Value)));
        var omitted = topology.Omitted!;
        Assert.Equal(3, omitted.Nodes);
        Assert.Equal(3, omitted.Edges);
        Assert.Equal(60, omitted.Calls);
        Assert.Equal(Math.Round(60 / 150.0, 4), omitted.TrafficShare);
    }

    [Fact]
    public void Topology_EdgeLimitAmongKeptNodes_KeepsBusiestEdges()
    {
        // Arrange: a triangle a -> b (30), b -> c (20), c -> a (10).
        Record(Minute, Node("a"), Node("b"), ReporterSide.Server, calls: 30);
        Record(Minute, Node("b"), Node("c"), ReporterSide.Server, calls: 20);
        Record(Minute, Node("c"), Node("a"), ReporterSide.Server, calls: 10);

        // Act: three nodes fit, but only two edges.
        var topology = TopologyQueries.Topology(Slices(), Window, ns: null, new QueryLimit(2));

        // Assert: the nodes are those of the kept edges; c is left out with its edges.
        Assert.Equal([("ns/a", "ns/b")], topology.Edges.Select(e => (e.Source, e.Target)));
        Assert.Equal(["ns/a", "ns/b"], topology.Nodes.Select(n => n.Id));
        Assert.Equal(1, topology.Omitted!.Nodes);
        Assert.Equal(2, topology.Omitted.Edges);
        Assert.Equal(30, topology.Omitted.Calls);
    }

    [Fact]
    public void Topology_TcpEdgesWithoutClosedConnections_RankedByBytes()
    {
        // Arrange: two open TCP connections (no closed connection yet) moving different bytes.
        Record(Minute, Node("a"), Node("db1"), ReporterSide.Client, calls: 1, protocol: TrafficProtocol.Tcp, bytes: 100);
        Record(Minute, Node("a"), Node("db2"), ReporterSide.Client, calls: 1, protocol: TrafficProtocol.Tcp, bytes: 9_000);

        // Act
        var topology = TopologyQueries.Topology(Slices(), Window, ns: null, new QueryLimit(2));

        // Assert
        Assert.Equal(["ns/db2"], topology.Edges.Select(e => e.Target));
    }

    [Fact]
    public void Topology_WithinLimit_SameAnswerAsTheFoldedWindowAndNotTruncated()
    {
        // Arrange: client-only in one minute, both sides in the next (the window prefers the server).
        Record(Minute - 1, Node("a"), Node("b"), ReporterSide.Client, calls: 7);
        Record(Minute, Node("a"), Node("b"), ReporterSide.Client, calls: 3);
        Record(Minute, Node("a"), Node("b"), ReporterSide.Server, calls: 3);
        Record(Minute, Node("b"), NodeRef.External("api.example.com"), ReporterSide.Client, calls: 2);

        // Act
        var streamed = TopologyQueries.Topology(Slices(), Window, ns: null, new QueryLimit(10));
        var folded = TopologyQueries.Topology(WindowView.Fold([.. _minutes]), Window, ns: null);

        // Assert
        Assert.False(streamed.Truncated);
        Assert.Null(streamed.Omitted);
        Assert.Equal(folded.Nodes, streamed.Nodes);
        Assert.Equal(folded.Edges.Select(e => (e.Source, e.Target, e.ReportedBy, e.Requests, e.Client?.Requests)), streamed.Edges.Select(e => (e.Source, e.Target, e.ReportedBy, e.Requests, e.Client?.Requests)));
        Assert.Equal(3, streamed.Edges.Single(e => e.Target == "ns/b").Requests);
        Assert.Equal(10, streamed.Edges.Single(e => e.Target == "ns/b").Client!.Requests);
    }

    [Fact]
    public void Services_MoreThanLimit_KeepsMostCalledAndCountsTheRest()
    {
        // Arrange: services s1..s4 receive 10, 20, 30, 40 calls from a caller.
        var caller = Node("caller");
        for (var i = 1; i <= 4; i++)
        {
            Record(Minute, caller, Node("s" + i), ReporterSide.Server, calls: i * 10);
        }

        // Act
        var services = TopologyQueries.Services(Slices(), Window, ns: null, new QueryLimit(2));

        // Assert: the caller received nothing and is left out with s1 and s2.
        Assert.Equal(["ns/s3", "ns/s4"], services.Services.Select(s => s.Id));
        Assert.Equal([30L, 40L], services.Services.Select(s => s.Requests));
        Assert.True(services.Truncated);
        Assert.Equal(3, services.Omitted!.Services);
        Assert.Equal(30, services.Omitted.Calls);
        Assert.Equal(0.3, services.Omitted.TrafficShare);
    }

    [Fact]
    public void Service_InstancesEndpointsEdgesOverLimit_BusiestKept()
    {
        // Arrange: three callers (1, 2, 3 calls) of three endpoints on three pods of svc.
        var svc = Node("svc");
        for (var i = 1; i <= 3; i++)
        {
            for (var c = 0; c < i; c++)
            {
                var r = Side(Minute, Node("caller" + i), svc, ReporterSide.Server);
                r.Endpoint = "GET /e" + i;
                r.TargetInstance = "pod-" + i;
                Bucket(Minute).Record(r);
            }
        }

        // Act
        var view = WindowView.FoldFor([.. _minutes], svc);
        var detail = TopologyQueries.Service(view, Window, "ns", "svc", limit: new QueryLimit(2))!;

        // Assert
        Assert.Equal(["pod-2", "pod-3"], detail.Instances.Select(i => i.Name));
        Assert.Equal(["GET /e2", "GET /e3"], detail.Endpoints.Select(e => e.Endpoint));
        Assert.Equal(["ns/caller2", "ns/caller3"], detail.Inbound.Select(e => e.Source));
        Assert.True(detail.Truncated);
        Assert.Equal((1, 1, 1), (detail.Omitted!.Instances!.Value, detail.Omitted.Endpoints!.Value, detail.Omitted.Edges!.Value));
        Assert.Equal(1, detail.Omitted.Calls);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(4)]
    public void Topology_MoreDistinctEdgesThanTheWorkingBound_BoundedWorkingSetAndTotalsAddUp(int limit)
    {
        // Arrange: 30 callers of a hub (caller i makes i calls a minute) over two minutes; 10 working edges.
        var hub = Node("hub");
        for (var i = 1; i <= 30; i++)
        {
            Record(Minute - 1, Node("c" + i), hub, ReporterSide.Server, calls: i);
            Record(Minute, Node("c" + i), hub, ReporterSide.Server, calls: i);
        }

        var total = 2 * Enumerable.Range(1, 30).Sum();
        var bound = new QueryLimit(limit, MaxWorkingEdges: 10);

        // Act
        var working = TopologyQueries.TrafficByEdge(Slices(), ns: null, bound.MaxWorkingEdges);
        var topology = TopologyQueries.Topology(Slices(), Window, ns: null, bound);

        // Assert: 10 edges tallied and the overflow edge of their protocol; the other 20 edges
        // folded in both minutes; what the answer shows and what it says it left out make the whole.
        Assert.Equal(11, working.Edges.Count);
        Assert.Contains(new EdgeKey(NodeRef.Overflow, NodeRef.Overflow, TrafficProtocol.Http), working.Edges.Keys);
        Assert.Equal(40, working.Folded);
        Assert.Equal(total, working.Edges.Values.Sum(t => t.Calls));
        Assert.True(topology.Truncated);
        Assert.Equal(40, topology.Omitted!.EdgesFolded);
        Assert.True(topology.Edges.Count <= Math.Min(limit, 11));
        Assert.Equal(total, topology.Edges.Sum(e => e.Requests) + topology.Omitted.Calls);
        var overflow = topology.Edges.SingleOrDefault(e => e.Source == NodeRef.Overflow.Id);
        if (overflow is not null)
        {
            // Shown, the overflow edge carries the folded edges' figures, as ranked.
            Assert.Equal(working.Edges[new EdgeKey(NodeRef.Overflow, NodeRef.Overflow, TrafficProtocol.Http)].Calls, overflow.Requests);
        }
    }

    [Fact]
    public void Services_MoreDistinctEdgesThanTheWorkingBound_FoldedCallsCountAsOmitted()
    {
        // Arrange
        var hub = Node("hub");
        for (var i = 1; i <= 30; i++)
        {
            Record(Minute, Node("c" + i), hub, ReporterSide.Server, calls: i);
        }

        // Act
        var services = TopologyQueries.Services(Slices(), Window, ns: null, new QueryLimit(100, MaxWorkingEdges: 10));

        // Assert: the hub is listed with the calls of its tallied edges; the folded ones are omitted, and the sum holds.
        Assert.True(services.Truncated);
        Assert.Equal(20, services.Omitted!.EdgesFolded);
        Assert.True(services.Omitted.Calls > 0);
        Assert.Equal(Enumerable.Range(1, 30).Sum(), services.Services.Sum(s => s.Requests) + services.Omitted.Calls);
    }

    [Fact]
    public void FoldFor_OtherServicesEdges_NotCopied()
    {
        Record(Minute, Node("a"), Node("b"), ReporterSide.Server, calls: 1);
        Record(Minute, Node("c"), Node("d"), ReporterSide.Server, calls: 1);

        var view = WindowView.FoldFor([.. _minutes], Node("b"));

        Assert.Equal([new EdgeKey(Node("a"), Node("b"), TrafficProtocol.Http)], view.Edges.Keys);
    }

    private static NodeRef Node(string name) => NodeRef.Service("ns", name);

    private static SideRecord Side(long minute, NodeRef source, NodeRef target, ReporterSide reporter, TrafficProtocol protocol = TrafficProtocol.Http, long bytes = 0) => new()
    {
        Minute = minute,
        Reporter = reporter,
        Protocol = protocol,
        Source = source,
        Target = target,
        SourceInstance = string.Empty,
        TargetInstance = string.Empty,
        Endpoint = string.Empty,
        StatusCode = 200,
        LatencyMicros = 1_000,
        BytesSent = bytes,
    };

    private void Record(long minute, NodeRef source, NodeRef target, ReporterSide reporter, int calls, TrafficProtocol protocol = TrafficProtocol.Http, long bytes = 0)
    {
        for (var i = 0; i < calls; i++)
        {
            Bucket(minute).Record(Side(minute, source, target, reporter, protocol, bytes));
        }
    }

    private MinuteBucket Bucket(long minute)
    {
        if (!_minutes.TryGetValue(minute, out var bucket))
        {
            bucket = new MinuteBucket(new AggregationOptions());
            _minutes.Add(minute, bucket);
        }

        return bucket;
    }

    private IReadOnlyList<EdgeSlice> Slices() => EdgeSlice.Of([.. _minutes]);
}
