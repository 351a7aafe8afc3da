using System.Collections.Concurrent;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Tests.Aggregation;

/// <summary>
/// What the lock-free shards promise: a writer never waits (for another writer, the collector
/// or a query), a swap in the middle of a message loses nothing, and a query sees every record
/// stored before it began. And what the ring promises a query: the collector does not wait for
/// its scan, and the buckets it scans do not change under it.
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

    [Fact]
    public void Read_CollectsAndEvictionsDuringTheScan_CollectorNotHeldAndScanSeesItsBucketsUnchanged()
    {
        // Arrange: a ring of 4 minutes with room for about three filled ones; minutes 1-3 filled.
        var limits = new AggregationOptions { RetentionMinutes = 4 };
        var perMinute = MinuteBytes(limits);
        var aggregator = new Aggregator(limits, shardCount: 2, budget: new AggregationBudget(RingBytes: perMinute * 7 / 2, ShardBytes: long.MaxValue));
        for (var minute = 1; minute <= 3; minute++)
        {
            Fill(aggregator, minute);
        }

        var crashes = new ConcurrentQueue<Exception>();
        var collector = new Thread(() => Guard(crashes, () =>
        {
            // More of minutes 1-3 while they are read, then two new minutes: the ring outgrows
            // its share and evicts its oldest minutes, the ones being read among them.
            for (var minute = 1; minute <= 5; minute++)
            {
                Fill(aggregator, minute);
                aggregator.Flush(oldestMinute: 0);
            }
        }));

        // Act: a scan that reads its window twice, with the collector's whole run in between.
        var (first, second, collectorDone, minutesRead) = aggregator.Read(0, 1, 3, window =>
        {
            var first = Digest(window);
            collector.Start();
            var done = collector.Join(Hang);
            return (first, Digest(window), done, window.Select(p => p.Key).ToList());
        });

        // Assert: the collector ran to the end while the scan was inside; the scan's two passes agree.
        Assert.True(collectorDone, "the collector waited for the scan");
        Assert.Empty(crashes);
        Assert.Equal([1L, 2L, 3L], minutesRead);
        Assert.Equal(3 * FillRequests, first.Requests);
        Assert.Equal(first, second);
        Assert.True(aggregator.MergedWhileRead >= 3, $"merged while read: {aggregator.MergedWhileRead}");
        Assert.True(aggregator.EvictedMinutes >= 1, $"evicted: {aggregator.EvictedMinutes}");

        // The next query sees what was merged meanwhile: every kept minute was filled twice
        // (minutes 4 and 5 once), and minutes are evicted whole, oldest first.
        var after = aggregator.Read(0, 0, long.MaxValue, w => w.Select(p => (p.Key, Requests: SumRequests([p]))).ToList());
        Assert.Equal(5L, after[^1].Key);
        Assert.Equal(Enumerable.Range(6 - after.Count, after.Count).Select(m => (long)m), after.Select(p => p.Key));
        Assert.All(after, p => Assert.Equal(p.Key <= 3 ? 2 * FillRequests : FillRequests, p.Requests));
        Assert.Equal(5 - after.Count, aggregator.EvictedMinutes);
    }

    [Fact]
    public void Read_TwoPassScansWhileWritersCollectorAndExpiryRun_EachScanSeesOneUnchangingState()
    {
        // Arrange: writers spread over a moving window of minutes, a collector that also drops
        // minutes past the retention, and a ring share that evicts.
        const int Writers = 4;
        const int MessagesPerWriter = 2_000;
        var limits = new AggregationOptions { RetentionMinutes = 8 };
        var aggregator = new Aggregator(limits, shardCount: 2, budget: new AggregationBudget(RingBytes: MinuteBytes(limits) * 6, ShardBytes: long.MaxValue));
        var crashes = new ConcurrentQueue<Exception>();
        var torn = new ConcurrentQueue<string>();
        long newest = 10;
        var writing = Writers;
        var writers = Enumerable.Range(0, Writers).Select(w => new Thread(() => Guard(crashes, () =>
        {
            try
            {
                for (var m = 0; m < MessagesPerWriter; m++)
                {
                    var minute = 10 + (m / 100);
                    if (w == 0)
                    {
                        Volatile.Write(ref newest, minute);
                    }

                    using var lease = aggregator.Claim();
                    for (var i = 0; i < 10; i++)
                    {
                        lease.Sink.Record(Record(NodeRef.Service("load", $"w{w}-{i % 5}"), Reviews, minute - ((m + i) % 10)));
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref writing);
            }
        }))).ToList();
        var collector = new Thread(() => Guard(crashes, () =>
        {
            while (Volatile.Read(ref writing) > 0)
            {
                aggregator.Flush(Volatile.Read(ref newest) - 6);
            }
        }));

        // Act: scans with two passes, as the bounded queries make, yielding between them.
        writers.ForEach(t => t.Start());
        collector.Start();
        var scans = 0;
        while (Volatile.Read(ref writing) > 0)
        {
            aggregator.Read(Volatile.Read(ref newest) - 6, 0, long.MaxValue, window =>
            {
                var first = Digest(window);
                Thread.Yield();
                var second = Digest(window);
                if (first != second)
                {
                    torn.Enqueue($"scan {scans}: {first} then {second}");
                }

                return 0;
            });
            scans++;
        }

        writers.ForEach(t => t.Join());
        collector.Join();

        // Assert
        Assert.Empty(crashes);
        Assert.Empty(torn);
        Assert.True(scans > 0);
    }

    private const long FillRequests = 20;

    /// <summary>Twenty requests on ten edges in <paramref name="minute"/>, stored and collected.</summary>
    private static void Fill(Aggregator aggregator, long minute)
    {
        using (var lease = aggregator.Claim())
        {
            for (var i = 0; i < FillRequests; i++)
            {
                lease.Sink.Record(Record(NodeRef.Service("fill", $"caller-{i % 10}"), Reviews, minute));
            }
        }
    }

    /// <summary>Estimated bytes of one minute filled by <see cref="Fill"/>.</summary>
    private static long MinuteBytes(AggregationOptions limits)
    {
        var probe = new Aggregator(limits, shardCount: 1);
        Fill(probe, 1);
        probe.Flush(0);
        return probe.EstimatedBytes;
    }

    /// <summary>What a pass over the window sees: series, calls and requests.</summary>
    private static (int Edges, int Endpoints, long Calls, long Requests) Digest(IReadOnlyList<KeyValuePair<long, MinuteBucket>> window) =>
        (window.Sum(p => p.Value.Edges.Count), window.Sum(p => p.Value.Endpoints.Count), window.Sum(p => p.Value.Calls()), SumRequests(window));

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
