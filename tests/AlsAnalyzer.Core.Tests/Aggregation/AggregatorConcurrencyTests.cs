using System.Collections.Concurrent;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Tests.Aggregation;

/// <summary>
/// What the lock-free shards promise: a writer never waits (for another writer, the collector
/// or a query), a swap in the middle of a message loses nothing, and a query sees every record
/// stored before it began.
/// </summary>
public sealed class AggregatorConcurrencyTests
{
    // Guards against a hang only; no test asserts on time.
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private static readonly NodeRef ProductPage = NodeRef.Service("default", "productpage");
    private static readonly NodeRef Reviews = NodeRef.Service("default", "reviews");
    private static readonly NodeRef Ratings = NodeRef.Service("default", "ratings");

    [Fact]
    public void Claim_EveryShardClaimed_AddsShardInsteadOfWaiting()
    {
        // Arrange: two shards, both held (leases are plain values: one thread can hold several).
        var aggregator = new Aggregator(new AggregationOptions(), shardCount: 2);
        var first = aggregator.Claim();
        var second = aggregator.Claim();

        // Act
        var third = aggregator.Claim();
        first.Sink.Record(Record(ProductPage, Reviews, 1));
        second.Sink.Record(Record(ProductPage, Reviews, 1));
        third.Sink.Record(Record(ProductPage, Reviews, 1));
        first.Dispose();
        second.Dispose();
        third.Dispose();

        // Assert
        Assert.Equal(1, aggregator.ShardsAdded);
        Assert.Equal(3, aggregator.ShardCount);
        Assert.Equal(3, Requests(aggregator, ProductPage));
    }

    [Fact]
    public void Claim_ShardReleased_ReusedWithoutAddingOne()
    {
        // Arrange
        var aggregator = new Aggregator(new AggregationOptions(), shardCount: 1);

        // Act
        for (var i = 0; i < 100; i++)
        {
            using var lease = aggregator.Claim();
            lease.Sink.Record(Record(ProductPage, Reviews, 1));
        }

        // Assert
        Assert.Equal(0, aggregator.ShardsAdded);
        Assert.Equal(100, Requests(aggregator, ProductPage));
    }

    [Fact]
    public void Flush_SwapsWhileWriterMidMessage_FoldsWholeMessageInThatFlush()
    {
        // Arrange: a writer inside its message, half of it recorded.
        var aggregator = new Aggregator(new AggregationOptions(), shardCount: 1);
        var crashes = new ConcurrentQueue<Exception>();
        using var halfWritten = new ManualResetEventSlim();
        var writer = new Thread(() => Guard(crashes, () =>
        {
            using var lease = aggregator.Claim();
            lease.Sink.Record(Record(ProductPage, Reviews, 5));
            halfWritten.Set();

            // The rest of the message only once the collector has swapped this buffer out.
            if (!SpinWait.SpinUntil(() => aggregator.SwapsMidMessage > 0, Hang))
            {
                throw new TimeoutException("the collector never swapped the buffer");
            }

            // Not a timing assertion: it gives a collector that folded without waiting for this
            // writer time to do so, so that such a bug loses the second half every time.
            Thread.Sleep(50);

            lease.Sink.Record(Record(Reviews, Ratings, 5));
        }));
        writer.Start();
        Assert.True(halfWritten.Wait(Hang, TestContext.Current.CancellationToken));

        // Act: this flush swaps mid-message, so it must wait for the writer to finish.
        aggregator.Flush(oldestMinute: 0);
        writer.Join();

        // Assert: both halves were folded by that flush (no flush since: SeriesCounts reads the ring only).
        Assert.Empty(crashes);
        Assert.Equal(1, aggregator.SwapsMidMessage);
        Assert.Equal(2, aggregator.SeriesCounts().Edges);
        Assert.Equal(1, Requests(aggregator, ProductPage));
        Assert.Equal(1, Requests(aggregator, Reviews));
    }

    [Fact]
    public void Read_QueryHoldingTheRing_WritersKeepWriting()
    {
        // Arrange
        var aggregator = new Aggregator(new AggregationOptions(), shardCount: 2);
        const int Messages = 1_000;
        var crashes = new ConcurrentQueue<Exception>();
        var writer = new Thread(() => Guard(crashes, () =>
        {
            for (var i = 0; i < Messages; i++)
            {
                using var lease = aggregator.Claim();
                lease.Sink.Record(Record(ProductPage, Reviews, 9));
            }
        }));

        // Act: the query's callback runs with the ring held; every message is written meanwhile.
        var writerDoneDuringQuery = aggregator.Read(0, 0, long.MaxValue, _ =>
        {
            writer.Start();
            return writer.Join(Hang);
        });

        // Assert
        Assert.True(writerDoneDuringQuery, "a writer waited for a query");
        Assert.Empty(crashes);
        Assert.Equal(Messages, Requests(aggregator, ProductPage));
    }

    [Fact]
    public void Read_ConcurrentWritersAndCollector_SeesEveryRecordStoredBeforeItBegan()
    {
        // Arrange: more writers than shards; each counts what it stored only after releasing the shard.
        const int Writers = 8;
        const int MessagesPerWriter = 3_000;
        var aggregator = new Aggregator(new AggregationOptions(), shardCount: 2);
        var crashes = new ConcurrentQueue<Exception>();
        var stale = new ConcurrentQueue<string>();
        using var start = new Barrier(Writers + 2);
        long stored = 0;
        var writing = Writers;
        var writers = Enumerable.Range(0, Writers).Select(w => new Thread(() => Guard(crashes, () =>
        {
            try
            {
                var source = NodeRef.Service("load", $"writer-{w}");
                start.SignalAndWait(TestContext.Current.CancellationToken);
                for (var m = 0; m < MessagesPerWriter; m++)
                {
                    var size = 1 + ((m * 7) + w) % 50;
                    using (var lease = aggregator.Claim())
                    {
                        for (var i = 0; i < size; i++)
                        {
                            lease.Sink.Record(Record(source, Reviews, 100 + (i % 2)));
                        }
                    }

                    Interlocked.Add(ref stored, size);
                }
            }
            finally
            {
                Interlocked.Decrement(ref writing);
            }
        }))).ToList();
        var collector = new Thread(() => Guard(crashes, () =>
        {
            start.SignalAndWait(TestContext.Current.CancellationToken);
            while (Volatile.Read(ref writing) > 0)
            {
                aggregator.Flush(oldestMinute: 0);
            }
        }));

        // Act: queries while everything runs; each must count at least what was stored before it began.
        writers.ForEach(t => t.Start());
        collector.Start();
        start.SignalAndWait(TestContext.Current.CancellationToken);
        var queries = 0;
        while (Volatile.Read(ref writing) > 0)
        {
            var before = Interlocked.Read(ref stored);
            var seen = aggregator.Read(0, 0, long.MaxValue, SumRequests);
            queries++;
            if (seen < before)
            {
                stale.Enqueue($"query {queries} saw {seen} of {before} stored before it");
            }
        }

        writers.ForEach(t => t.Join());
        collector.Join();

        // Assert
        Assert.Empty(crashes);
        Assert.Empty(stale);
        Assert.True(queries > 0);
        var expected = Enumerable.Range(0, Writers).Sum(w => Enumerable.Range(0, MessagesPerWriter).Sum(m => 1L + ((m * 7) + w) % 50));
        Assert.Equal(expected, Interlocked.Read(ref stored));
        Assert.Equal(expected, aggregator.Read(0, 0, long.MaxValue, SumRequests));
    }

    private static long SumRequests(IReadOnlyList<KeyValuePair<long, MinuteBucket>> window) =>
        window.Sum(p => p.Value.Edges.Values.Sum(e => e.Client?.Requests ?? 0));

    private static long Requests(Aggregator aggregator, NodeRef source) =>
        aggregator.Read(0, 0, long.MaxValue, window => window.Sum(p => p.Value.Edges.Where(e => e.Key.Source.Equals(source)).Sum(e => e.Value.Client?.Requests ?? 0)));

    private static void Guard(ConcurrentQueue<Exception> crashes, Action body)
    {
        try
        {
            body();
        }
        catch (Exception ex)
        {
            crashes.Enqueue(ex);
        }
    }

    private static SideRecord Record(NodeRef source, NodeRef target, long minute) => new()
    {
        Minute = minute,
        Reporter = ReporterSide.Client,
        Protocol = TrafficProtocol.Http,
        Source = source,
        Target = target,
        SourceInstance = string.Empty,
        TargetInstance = string.Empty,
        Endpoint = "GET /",
        StatusCode = 200,
        LatencyMicros = 1_000,
    };
}
