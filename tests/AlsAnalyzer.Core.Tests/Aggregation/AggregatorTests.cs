using System.Collections.Concurrent;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Query;

namespace AlsAnalyzer.Core.Tests.Aggregation;

public sealed class AggregatorTests
{
    private static readonly NodeRef ProductPage = NodeRef.Service("default", "productpage");
    private static readonly NodeRef Reviews = NodeRef.Service("default", "reviews");

    [Fact]
    public void Flush_WritersOnEveryThreadWhileFlushing_NoUpdateLost()
    {
        // Arrange: more writer threads than shards, so writers find shards claimed and move on.
        const int Writers = 8;
        const int PerWriter = 25_000;
        const long FirstMinute = 1_000;
        var aggregator = new Aggregator(new AggregationOptions(), shardCount: 4);
        using var start = new Barrier(Writers + 1);
        var writing = Writers;
        var flushes = 0;
        var flushesWhileWriting = 0;
        var crashes = new ConcurrentQueue<Exception>();

        var flusher = new Thread(() => Guard(crashes, () =>
        {
            start.SignalAndWait(TestContext.Current.CancellationToken);
            while (Volatile.Read(ref writing) > 0)
            {
                aggregator.Flush(oldestMinute: 0);
                Interlocked.Increment(ref flushes);
                flushesWhileWriting += Volatile.Read(ref writing) > 0 ? 1 : 0;
                Thread.Yield();
            }
        }));
        var writers = Enumerable.Range(0, Writers).Select(w => new Thread(() => Guard(crashes, () =>
        {
            try
            {
                var source = NodeRef.Service("load", $"writer-{w}");
                start.SignalAndWait(TestContext.Current.CancellationToken);
                for (var i = 0; i < PerWriter; i++)
                {
                    if (i == PerWriter / 2)
                    {
                        // Half way, wait for a flush, so one surely runs while the shards hold data.
                        var seen = Volatile.Read(ref flushes);
                        SpinWait.SpinUntil(() => Volatile.Read(ref flushes) > seen + 1, TimeSpan.FromSeconds(10));
                    }

                    var record = Record(source, Reviews, FirstMinute + (i % 3), ReporterSide.Client, endpoint: $"GET /{i % 5}");
                    using var lease = aggregator.Claim();
                    lease.Sink.Record(record);
                }
            }
            finally
            {
                Interlocked.Decrement(ref writing);
            }
        }))).ToList();

        // Act
        flusher.Start();
        writers.ForEach(t => t.Start());
        writers.ForEach(t => t.Join());
        flusher.Join();
        Assert.Empty(crashes);
        aggregator.Flush(oldestMinute: 0);

        // Assert
        var (requests, perWriter, endpointRequests, latencyCount) = aggregator.Read(0, 0, long.MaxValue, window =>
        {
            var view = WindowView.Fold(window);
            return (
                view.Edges.Values.Sum(e => e.Client?.Requests ?? 0),
                view.Edges.ToDictionary(p => p.Key.Source.Name, p => p.Value.Client?.Requests ?? 0),
                view.Endpoints.Values.Sum(e => e.Client?.Requests ?? 0),
                view.Edges.Values.Sum(e => e.Client?.Latency.Count ?? 0));
        });
        Assert.Equal((long)Writers * PerWriter, requests);
        Assert.Equal((long)Writers * PerWriter, endpointRequests);
        Assert.Equal((long)Writers * PerWriter, latencyCount);
        Assert.Equal(Writers, perWriter.Count);
        Assert.All(perWriter.Values, count => Assert.Equal(PerWriter, count));
        Assert.True(flushes > 0);
        Assert.True(flushesWhileWriting > 0, "the flusher never ran while writers were writing");
    }

    [Fact]
    public void Read_AfterRecordsInSeveralShards_SumsEveryShard()
    {
        // Arrange
        var aggregator = new Aggregator(new AggregationOptions(), shardCount: 3);
        var threads = Enumerable.Range(0, 6).Select(_ => new Thread(() => Write(aggregator, Record(ProductPage, Reviews, 10, ReporterSide.Server)))).ToList();

        // Act
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var requests = aggregator.Read(0, 10, 10, window => window.Sum(p => p.Value.Edges.Values.Sum(e => e.Server?.Requests ?? 0)));

        // Assert
        Assert.Equal(6, requests);
    }

    [Fact]
    public void Flush_OldestMinute_DropsOlderMinutesFromRing()
    {
        // Arrange
        var aggregator = new Aggregator(new AggregationOptions(), shardCount: 2);
        foreach (var minute in new long[] { 100, 101, 102 })
        {
            Write(aggregator, Record(ProductPage, Reviews, minute, ReporterSide.Server));
        }

        aggregator.Flush(oldestMinute: 0);

        // Act
        aggregator.Flush(oldestMinute: 101);

        // Assert
        var minutes = aggregator.Read(101, 0, long.MaxValue, window => window.Select(p => p.Key).ToList());
        Assert.Equal([101L, 102L], minutes);
        Assert.Equal(2, aggregator.SeriesCounts().Minutes);
    }

    [Fact]
    public void Flush_LateRecordsOlderThanOldestMinute_NotAddedToRing()
    {
        // Arrange
        var aggregator = new Aggregator(new AggregationOptions(), shardCount: 1);
        Write(aggregator, Record(ProductPage, Reviews, 200, ReporterSide.Server));
        aggregator.Flush(oldestMinute: 200);
        Write(aggregator, Record(ProductPage, Reviews, 199, ReporterSide.Server));
        Write(aggregator, Record(ProductPage, Reviews, 200, ReporterSide.Server));

        // Act
        aggregator.Flush(oldestMinute: 200);

        // Assert
        var byMinute = aggregator.Read(200, 0, long.MaxValue, window => window.ToDictionary(p => p.Key, p => p.Value.Edges.Values.Sum(e => e.Server?.Requests ?? 0)));
        Assert.Equal(new Dictionary<long, long> { [200] = 2 }, byMinute);
    }

    [Fact]
    public void Read_Window_InclusiveOfBothEnds()
    {
        // Arrange
        var aggregator = new Aggregator(new AggregationOptions(), shardCount: 1);
        for (long minute = 10; minute <= 15; minute++)
        {
            Write(aggregator, Record(ProductPage, Reviews, minute, ReporterSide.Server));
        }

        // Act
        var minutes = aggregator.Read(0, 11, 13, window => window.Select(p => p.Key).ToList());

        // Assert
        Assert.Equal([11L, 12L, 13L], minutes);
    }

    [Fact]
    public void Read_FlushesPendingShardsFirst()
    {
        // Arrange
        var aggregator = new Aggregator(new AggregationOptions(), shardCount: 2);
        Write(aggregator, Record(ProductPage, Reviews, 50, ReporterSide.Client));

        // Act: no explicit Flush.
        var requests = aggregator.Read(0, 50, 50, window => window.Sum(p => p.Value.Edges.Values.Sum(e => e.Client?.Requests ?? 0)));

        // Assert
        Assert.Equal(1, requests);
    }

    [Fact]
    public void Flush_SameMinuteFromSuccessiveFlushes_MergedIntoOneBucket()
    {
        // Arrange
        var aggregator = new Aggregator(new AggregationOptions(), shardCount: 1);
        Write(aggregator, Record(ProductPage, Reviews, 7, ReporterSide.Client));
        aggregator.Flush(0);
        Write(aggregator, Record(ProductPage, Reviews, 7, ReporterSide.Server));

        // Act
        aggregator.Flush(0);

        // Assert
        var edges = aggregator.Read(0, 7, 7, window => window.Single().Value.Edges);
        var stats = Assert.Single(edges).Value;
        Assert.Equal(1, stats.Client?.Requests);
        Assert.Equal(1, stats.Server?.Requests);
    }

    [Fact]
    public void OverflowTotal_EndpointsBeyondCapInShard_CountedOnceAfterFlush()
    {
        // Arrange
        var aggregator = new Aggregator(new AggregationOptions { MaxEndpointsPerService = 2 }, shardCount: 1);
        for (var i = 0; i < 5; i++)
        {
            Write(aggregator, Record(ProductPage, Reviews, 1, ReporterSide.Server, endpoint: $"GET /{i}"));
        }

        // Act
        aggregator.Flush(0);
        aggregator.Flush(0);

        // Assert
        Assert.Equal(3, aggregator.OverflowTotal.Endpoints);
        Assert.Equal(3, aggregator.SeriesCounts().Endpoints);
    }

    [Fact]
    public void SeriesCounts_AfterFlush_CountsRingSeries()
    {
        // Arrange
        var aggregator = new Aggregator(new AggregationOptions(), shardCount: 1);
        Write(aggregator, Record(ProductPage, Reviews, 1, ReporterSide.Server, endpoint: "GET /a") with { TargetInstance = "rv-1" });
        Write(aggregator, Record(Reviews, ProductPage, 2, ReporterSide.Client, endpoint: "GET /b") with { SourceInstance = "rv-1" });

        // Act
        aggregator.Flush(0);

        // Assert
        Assert.Equal((2L, 2L, 2L, 2), aggregator.SeriesCounts());
    }

    /// <summary>An exception on a thread of our own would end the test process; record it for the test to fail on.</summary>
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

    private static void Write(Aggregator aggregator, SideRecord record)
    {
        using var lease = aggregator.Claim();
        lease.Sink.Record(record);
    }

    private static SideRecord Record(NodeRef source, NodeRef target, long minute, ReporterSide reporter, string endpoint = "GET /") => new()
    {
        Minute = minute,
        Reporter = reporter,
        Protocol = TrafficProtocol.Http,
        Source = source,
        Target = target,
        SourceInstance = string.Empty,
        TargetInstance = string.Empty,
        Endpoint = endpoint,
        StatusCode = 200,
        LatencyMicros = 1_000,
    };
}
