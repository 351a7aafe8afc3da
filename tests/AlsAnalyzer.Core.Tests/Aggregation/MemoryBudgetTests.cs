using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Tests.Aggregation;

/// <summary>The aggregation's byte bounds: fold when a minute is full, evict the oldest minutes when the ring is.</summary>
public sealed class MemoryBudgetTests
{
    private static readonly NodeRef Caller = NodeRef.Service("ns", "caller");
    private const long Minute = 29_000_000;

    [Fact]
    public void Split_SharesAddUpToLessThanTheBudget()
    {
        var budget = MemoryBudget.FromMegabytes(640);

        var total = MemoryBudget.Split.Sum(s => budget.Share(s.Name));

        Assert.InRange(total, budget.TotalBytes * 9 / 10, budget.TotalBytes);
        Assert.Equal(budget.TotalBytes / 100 * 40, budget.RingBytes);
    }

    [Fact]
    public void MinuteBucket_BudgetFull_NewEdgesEndpointsInstancesFoldAndAreCounted()
    {
        // Arrange: room for one series.
        var bucket = new MinuteBucket(new AggregationOptions(), new SeriesBudget(300));
        bucket.Record(Record(Caller, Node("a"), "GET /a", "pod-a"));
        Assert.Single(bucket.Edges);

        // Act: three more distinct targets, paths and pods.
        for (var i = 0; i < 3; i++)
        {
            bucket.Record(Record(Caller, Node("t" + i), "GET /t" + i, "pod-" + i));
        }

        // Assert
        Assert.Equal([new EdgeKey(Caller, Node("a"), TrafficProtocol.Http), new EdgeKey(NodeRef.Overflow, NodeRef.Overflow, TrafficProtocol.Http)], bucket.Edges.Keys);
        Assert.Contains(new EndpointKey(NodeRef.Overflow, TrafficProtocol.Http, MinuteBucket.OtherEndpoint), bucket.Endpoints.Keys);
        Assert.DoesNotContain(bucket.Instances.Keys, k => k.Instance == "pod-2");
        var overflow = bucket.TakeOverflow();
        Assert.Equal(3, overflow.Edges);

        // The first record's edge took the whole budget: its endpoint and instance folded too.
        Assert.Equal(4, overflow.Endpoints);
        Assert.Equal(4, overflow.Instances);
    }

    [Fact]
    public void MinuteBucket_LongPath_CostsItsLength()
    {
        var bucket = new MinuteBucket(new AggregationOptions());
        var path = "GET /" + new string('x', 8 * 1024);

        bucket.Record(Record(Caller, Node("a"), path, string.Empty));

        // An 8 KB path held by an endpoint series is 16 KB of UTF-16.
        Assert.InRange(bucket.EstimatedBytes, 16 * 1024, 20 * 1024);
    }

    [Fact]
    public void Aggregator_RingOverItsShare_OldestMinutesEvictedAndLateRecordsDropped()
    {
        // Arrange: a ring of 10 minutes with room for a few dozen series in all.
        var limits = new AggregationOptions { RetentionMinutes = 10 };
        var aggregator = new Aggregator(limits, shardCount: 2, budget: new AggregationBudget(RingBytes: 40_000, ShardBytes: long.MaxValue));
        Assert.Equal(8_000, aggregator.MinuteBytes);

        // Act: 40 distinct edges in each of ten minutes.
        for (var m = 0; m < 10; m++)
        {
            for (var i = 0; i < 40; i++)
            {
                Write(aggregator, Record(Caller, Node($"m{m}-t{i}"), string.Empty, string.Empty, Minute + m));
            }
        }

        aggregator.Flush(Minute);
        var minutesLeft = aggregator.Read(Minute, Minute, Minute + 9, w => w.Select(p => p.Key).ToList());

        // A late record for the oldest minute, evicted by now.
        Write(aggregator, Record(Caller, Node("late"), string.Empty, string.Empty, Minute));
        aggregator.Flush(Minute);

        // Assert: the newest minutes are kept, within the ring's share; what was lost is counted.
        Assert.InRange(aggregator.EstimatedBytes, 1, 40_000);
        Assert.Equal(Minute + 9, minutesLeft[^1]);
        Assert.Equal(10 - minutesLeft.Count, aggregator.EvictedMinutes);
        Assert.True(aggregator.EvictedMinutes >= 4, $"evicted {aggregator.EvictedMinutes}");
        Assert.Equal(1, aggregator.EvictedCalls);

        // Each kept minute folded what exceeded its own share (twice the even share).
        var view = aggregator.Read(Minute, Minute + 9, Minute + 9, w => w.Single().Value);
        Assert.True(view.Edges.ContainsKey(new EdgeKey(NodeRef.Overflow, NodeRef.Overflow, TrafficProtocol.Http)));
        Assert.True(aggregator.OverflowTotal.Edges > 0);
    }

    [Fact]
    public void ShardBuffer_BurstOverItsShare_FoldsIntoOverflow()
    {
        var buffer = new ShardBuffer(new AggregationOptions(), capBytes: 2_000);

        for (var m = 0; m < 30; m++)
        {
            buffer.Record(Record(Caller, Node("t" + m), string.Empty, string.Empty, Minute + m));
        }

        var series = buffer.Buckets.Values.Sum(b => b.Edges.Count);
        var folded = buffer.Buckets.Values.Sum(b => b.TakeOverflow().Edges);
        Assert.Equal(30, series);
        Assert.True(folded > 20, $"folded {folded}");
        Assert.All(buffer.Buckets.Values.Skip(5), b => Assert.Equal(NodeRef.Overflow, Assert.Single(b.Edges.Keys).Target));
    }

    private static NodeRef Node(string name) => NodeRef.Service("ns", name);

    private static void Write(Aggregator aggregator, SideRecord record)
    {
        using var lease = aggregator.Claim();
        lease.Sink.Record(record);
    }

    private static SideRecord Record(NodeRef source, NodeRef target, string endpoint, string instance, long minute = Minute) => new()
    {
        Minute = minute,
        Reporter = ReporterSide.Server,
        Protocol = TrafficProtocol.Http,
        Source = source,
        Target = target,
        SourceInstance = string.Empty,
        TargetInstance = instance,
        Endpoint = endpoint,
        StatusCode = 200,
        LatencyMicros = 1_000,
    };
}
