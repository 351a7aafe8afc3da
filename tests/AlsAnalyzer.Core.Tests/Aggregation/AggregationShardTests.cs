using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Tests.Aggregation;

/// <summary>The shard's ownership protocol, step by step on one thread: every interleaving here is chosen, not raced.</summary>
public sealed class AggregationShardTests
{
    private static readonly NodeRef ProductPage = NodeRef.Service("default", "productpage");
    private static readonly NodeRef Reviews = NodeRef.Service("default", "reviews");

    [Fact]
    public void TryClaim_WhileClaimed_FailsUntilReleased()
    {
        // Arrange
        var shard = new AggregationShard(new AggregationOptions());
        Assert.True(shard.TryClaim(out _));

        // Act
        var second = shard.TryClaim(out var none);
        shard.Release();
        var afterRelease = shard.TryClaim(out var buffer);

        // Assert
        Assert.False(second);
        Assert.Null(none);
        Assert.True(afterRelease);
        Assert.NotNull(buffer);
    }

    [Fact]
    public void Retire_NoClaimSinceLastRetire_ReturnsNothing()
    {
        // Arrange
        var shard = new AggregationShard(new AggregationOptions());
        Write(shard, 1);
        Assert.NotNull(shard.Retire(out _));

        // Act
        var again = shard.Retire(out var sequence);

        // Assert
        Assert.Null(again);
        Assert.Equal(0, sequence & 1);
    }

    [Fact]
    public void Retire_NeverClaimed_ReturnsNothing()
    {
        // Arrange
        var shard = new AggregationShard(new AggregationOptions());

        // Act
        var retired = shard.Retire(out _);

        // Assert
        Assert.Null(retired);
    }

    [Fact]
    public void Retire_MidMessage_WriterFinishesInRetiredBufferAndNextWriterGetsNewOne()
    {
        // Arrange: a writer inside its message, two records in.
        var shard = new AggregationShard(new AggregationOptions());
        Assert.True(shard.TryClaim(out var writing));
        writing.Record(Record(7));
        writing.Record(Record(7));

        // Act: the collector swaps now; the writer goes on with the buffer it holds.
        var retired = shard.Retire(out var sequence);
        writing.Record(Record(7));
        shard.Release();
        shard.WaitForWriterToLeave(sequence);
        Assert.True(shard.TryClaim(out var next));
        next.Record(Record(8));
        shard.Release();

        // Assert: the swap saw the writer inside, and the retired buffer holds its whole message.
        Assert.Equal(1, sequence & 1);
        Assert.Same(writing, retired);
        Assert.NotSame(retired, next);
        Assert.Equal(3, Requests(retired!, 7));
        Assert.Equal(0, Requests(retired!, 8));
        Assert.Equal(1, Requests(shard.Retire(out _)!, 8));
    }

    [Fact]
    public void Retire_WriterLeftBeforeSwap_SequenceEvenAndBufferComplete()
    {
        // Arrange
        var shard = new AggregationShard(new AggregationOptions());
        Write(shard, 3);

        // Act
        var retired = shard.Retire(out var sequence);

        // Assert: nothing to wait for.
        Assert.Equal(0, sequence & 1);
        Assert.Equal(1, Requests(retired!, 3));
    }

    [Fact]
    public void Retire_WriterClaimedAfterSwap_WritesIntoNewBufferRetiredNextTime()
    {
        // Arrange
        var shard = new AggregationShard(new AggregationOptions());
        Write(shard, 1);
        var first = shard.Retire(out _);

        // Act
        Write(shard, 2);
        var second = shard.Retire(out _);

        // Assert
        Assert.Equal(1, Requests(first!, 1));
        Assert.Equal(0, Requests(first!, 2));
        Assert.Equal(1, Requests(second!, 2));
    }

    private static void Write(AggregationShard shard, long minute)
    {
        Assert.True(shard.TryClaim(out var buffer));
        buffer.Record(Record(minute));
        shard.Release();
    }

    private static long Requests(ShardBuffer buffer, long minute) =>
        buffer.Buckets.TryGetValue(minute, out var bucket) ? bucket.Edges.Values.Sum(e => e.Client?.Requests ?? 0) : 0;

    private static SideRecord Record(long minute) => new()
    {
        Minute = minute,
        Reporter = ReporterSide.Client,
        Protocol = TrafficProtocol.Http,
        Source = ProductPage,
        Target = Reviews,
        SourceInstance = string.Empty,
        TargetInstance = string.Empty,
        Endpoint = "GET /",
        StatusCode = 200,
        LatencyMicros = 1_000,
    };
}
