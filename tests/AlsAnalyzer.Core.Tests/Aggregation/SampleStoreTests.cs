using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Tests;

/// <summary>The per-edge sample reservoirs: what a shard buffer captures, what the store keeps, and their bounds.</summary>
public sealed class SampleStoreTests
{
    private static readonly NodeRef ProductPage = NodeRef.Service("default", "productpage");
    private static readonly NodeRef Reviews = NodeRef.Service("default", "reviews");
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 8, 0, 0, TimeSpan.Zero);
    private static readonly QueryWindowOf All = new(DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue);

    private readonly ManualClock _clock = new(Now);

    [Fact]
    public void FailingCalls_OneBufferKeepsTheFirstN_AndMarksTheEdgeFull()
    {
        var (aggregator, store) = Make(size: 4);
        using (var lease = aggregator.Claim())
        {
            for (var i = 0; i < 10; i++)
            {
                lease.Sink.Record(Http(ProductPage, Reviews, status: 500 + i, latencyMicros: 1));
            }

            var edge = lease.Sink.Buckets.Values.Single().Edges.Values.Single();
            Assert.True(edge.SampleErrorsFull);
        }

        Flush(aggregator);

        var failing = Failing(store, ProductPage, Reviews);
        Assert.Equal([500, 501, 502, 503], failing.Select(s => s.StatusCode).Order());
    }

    [Fact]
    public void FailingCalls_AcrossCollects_TheMostRecentNAreKept()
    {
        var (aggregator, store) = Make(size: 3);
        for (var batch = 0; batch < 4; batch++)
        {
            using (var lease = aggregator.Claim())
            {
                for (var i = 0; i < 3; i++)
                {
                    lease.Sink.Record(Http(ProductPage, Reviews, status: 500 + (batch * 10) + i, latencyMicros: 1));
                }
            }

            Flush(aggregator);
        }

        Assert.Equal([530, 531, 532], Failing(store, ProductPage, Reviews).Select(s => s.StatusCode).Order());
        Assert.Equal(1, store.Counts().Edges);
    }

    [Fact]
    public void SlowCalls_TheNSlowestAreKept_AndTheirFloorStopsFasterCallsAtIngest()
    {
        var (aggregator, store) = Make(size: 5);
        var latencies = Enumerable.Range(1, 100).Select(i => (long)i * 1000).ToArray();
        new Random(7).Shuffle(latencies);
        using (var lease = aggregator.Claim())
        {
            foreach (var latency in latencies)
            {
                lease.Sink.Record(Http(ProductPage, Reviews, status: 200, latencyMicros: latency));
            }
        }

        Flush(aggregator);

        Assert.Equal([96_000L, 97_000, 98_000, 99_000, 100_000], Slow(store, ProductPage, Reviews).Select(s => s.LatencyMicros).Order());
        var key = new EdgeKey(ProductPage, Reviews, TrafficProtocol.Http);
        Assert.Equal(96_000, store.FloorOf(key, Now.ToUnixTimeSeconds() / 60));

        // A later buffer: calls no slower than the floor make no candidate at all.
        using (var lease = aggregator.Claim())
        {
            for (var i = 1; i <= 96; i++)
            {
                lease.Sink.Record(Http(ProductPage, Reviews, status: 200, latencyMicros: i * 1000));
            }

            Assert.Null(lease.Sink.Samples?.Edges.GetValueOrDefault(key));
            Assert.False(lease.Sink.PendingSample);
            lease.Sink.Record(Http(ProductPage, Reviews, status: 200, latencyMicros: 150_000));
            Assert.True(lease.Sink.PendingSample);
        }

        Flush(aggregator);
        Assert.Equal([97_000L, 98_000, 99_000, 100_000, 150_000], Slow(store, ProductPage, Reviews).Select(s => s.LatencyMicros).Order());
    }

    [Fact]
    public void Edges_PastTheCap_TheLeastRecentlySampledIsForgottenAndCounted()
    {
        var (aggregator, store) = Make(size: 2, maxEdges: 3);
        var callers = Enumerable.Range(0, 5).Select(i => NodeRef.Service("default", "caller-" + i)).ToArray();
        foreach (var caller in callers)
        {
            using (var lease = aggregator.Claim())
            {
                lease.Sink.Record(Http(caller, Reviews, status: 503, latencyMicros: 1));
            }

            Flush(aggregator);
        }

        Assert.Equal(3, store.Counts().Edges);
        Assert.Equal(2, store.EdgesEvicted);
        Assert.Empty(Failing(store, callers[0], Reviews));
        Assert.Empty(Failing(store, callers[1], Reviews));
        Assert.Single(Failing(store, callers[4], Reviews));

        // Held samples: one failing call on each of the three edges (each also the edge's slowest).
        Assert.Equal(6, store.Counts().Samples);
    }

    [Fact]
    public void Bytes_PastTheSamplesShare_TheLeastRecentlySampledEdgesAreForgottenAndCounted()
    {
        // One edge with a failing call (also its slowest) with long names costs a few KB:
        // a budget of 40 KB keeps its three quarters (30 KB) for a handful of such edges.
        var (aggregator, store) = Make(size: 2, budgetBytes: 40_000);
        var callers = Enumerable.Range(0, 40).Select(i => NodeRef.Service("default", "caller-" + i + new string('x', 500))).ToArray();
        foreach (var caller in callers)
        {
            using (var lease = aggregator.Claim())
            {
                lease.Sink.Record(Http(caller, Reviews, status: 503, latencyMicros: 1));
            }

            Flush(aggregator);
            Assert.InRange(store.EstimatedBytes, 1, store.KeptBudgetBytes);
        }

        var (edges, _) = store.Counts();
        Assert.InRange(edges, 2, 39);
        Assert.Equal(40 - edges, store.EdgesEvictedForBytes);
        Assert.Equal(0, store.EdgesEvicted);
        Assert.Empty(Failing(store, callers[0], Reviews));
        Assert.Single(Failing(store, callers[39], Reviews));
    }

    [Fact]
    public void Bytes_OneEdge_CountsItsStringsAndSamples_AndForgettingItGivesThemBack()
    {
        var (aggregator, store) = Make(size: 4);
        var longCaller = NodeRef.Service("default", new string('c', 1000));
        using (var lease = aggregator.Claim())
        {
            lease.Sink.Record(Http(longCaller, Reviews, status: 503, latencyMicros: 1));
        }

        Flush(aggregator);
        var one = store.EstimatedBytes;

        // The caller's name is in the key, both ids and the sample's source: 2 bytes a char at least three times.
        Assert.InRange(one, 3 * 2 * 1000, 20_000);
        using (var lease = aggregator.Claim())
        {
            lease.Sink.Record(Http(longCaller, Reviews, status: 504, latencyMicros: 1));
        }

        Flush(aggregator);
        Assert.True(store.EstimatedBytes > one, $"{store.EstimatedBytes} after a second sample, {one} after one");
    }

    [Fact]
    public void Entries_CopiedForDetails_WithinTheirQuarterOfTheBudget_ElseKeptWithoutAndCounted()
    {
        var (aggregator, store) = Make(size: 4, budgetBytes: 4 * 10_000);
        using (var lease = aggregator.Claim())
        {
            // A quarter of 40,000 bytes: one 8,000-byte entry fits, the second does not, a 20 KB one is too long.
            var lengths = new[] { 8_000, 8_000, 20_000 };
            for (var i = 0; i < lengths.Length; i++)
            {
                lease.Sink.Record(Http(NodeRef.Service("default", "caller-" + i), Reviews, status: 503, latencyMicros: 1));
                lease.Sink.AttachSample(new byte[lengths[i]]);
            }

            Assert.Equal((1L, 1L), store.EntriesNotAttached);
            Assert.Equal(SampleBytes.EntryCopy(8_000), store.EstimatedBytes);
        }

        Flush(aggregator);

        // Merged: the copy's bytes are given back; the three edges' samples (about 2 KB each) remain.
        Assert.Equal(3, store.Counts().Edges);
        Assert.InRange(store.EstimatedBytes, 3 * 1_000, SampleBytes.EntryCopy(8_000) - 1);
    }

    [Fact]
    public void Details_LongStrings_AreCutWhenKept()
    {
        var details = new SampleDetails(null, new string('r', 5000), "details", 0, new string('h', 300), "cluster");

        var capped = SampleBytes.Capped(details);

        Assert.Equal(SampleBytes.MaxDetailLength, capped.RequestId.Length);
        Assert.Equal(SampleBytes.MaxDetailLength, capped.UpstreamHost.Length);
        Assert.Equal("details", capped.ResponseCodeDetails);
    }

    [Fact]
    public void SlowCalls_ANewPeriod_StartsAfreshAndKeepsThePreviousOneVisible()
    {
        var (aggregator, store) = Make(size: 2, slowMinutes: 5);
        Record(aggregator, 900_000, 800_000);
        Flush(aggregator);
        var key = new EdgeKey(ProductPage, Reviews, TrafficProtocol.Http);
        Assert.Equal(800_000, store.FloorOf(key, Now.ToUnixTimeSeconds() / 60));

        _clock.Now = Now.AddMinutes(5);
        Record(aggregator, 1_000);
        Flush(aggregator);
        Assert.Equal([1_000L, 800_000, 900_000], Slow(store, ProductPage, Reviews).Select(s => s.LatencyMicros).Order());
        Assert.Equal(0, store.FloorOf(key, _clock.Now.ToUnixTimeSeconds() / 60));

        _clock.Now = Now.AddMinutes(15);
        Record(aggregator, 2_000);
        Flush(aggregator);
        Assert.Equal([2_000L], Slow(store, ProductPage, Reviews).Select(s => s.LatencyMicros));
    }

    [Fact]
    public void Sampling_Off_CapturesNothing()
    {
        var (aggregator, store) = Make(size: 0);
        using (var lease = aggregator.Claim())
        {
            lease.Sink.Record(Http(ProductPage, Reviews, status: 503, latencyMicros: 5_000));
            lease.Sink.Record(Http(ProductPage, Reviews, status: 503, latencyMicros: 5_000));
            Assert.False(lease.Sink.PendingSample);
            Assert.Null(lease.Sink.Samples?.Edges.Count is > 0 ? lease.Sink.Samples : null);
        }

        Flush(aggregator);
        Assert.Equal((0, 0L), store.Counts());
    }

    [Fact]
    public void Query_FiltersByWindowAndEdge_NewestFirst()
    {
        var (aggregator, store) = Make(size: 5);
        var minute = Now.ToUnixTimeSeconds() / 60;
        using (var lease = aggregator.Claim())
        {
            lease.Sink.Record(Http(ProductPage, Reviews, status: 500, latencyMicros: 1, minute: minute - 30));
            lease.Sink.Record(Http(ProductPage, Reviews, status: 501, latencyMicros: 1, minute: minute - 2));
            lease.Sink.Record(Http(Reviews, ProductPage, status: 502, latencyMicros: 1, minute: minute - 2));
        }

        Flush(aggregator);

        var recent = store.Query(ProductPage.Id, Reviews.Id, Now.AddMinutes(-5), Now);
        Assert.Equal([501], recent.Select(s => s.Sample.StatusCode));
        var hour = store.Query(ProductPage.Id, Reviews.Id, Now.AddHours(-1), Now);
        Assert.Equal([501, 500], hour.Select(s => s.Sample.StatusCode));
        Assert.All(hour, s => Assert.True(s.Failing));
    }

    private static List<CallSample> Failing(SampleStore store, NodeRef source, NodeRef target) =>
        [.. store.Query(source.Id, target.Id, All.From, All.To).Where(s => s.Failing).Select(s => s.Sample)];

    private static List<CallSample> Slow(SampleStore store, NodeRef source, NodeRef target) =>
        [.. store.Query(source.Id, target.Id, All.From, All.To).Where(s => s.Slow).Select(s => s.Sample)];

    private void Record(Aggregator aggregator, params long[] latencies)
    {
        using var lease = aggregator.Claim();
        foreach (var latency in latencies)
        {
            lease.Sink.Record(Http(ProductPage, Reviews, status: 200, latencyMicros: latency, minute: _clock.Now.ToUnixTimeSeconds() / 60));
        }
    }

    private static void Flush(Aggregator aggregator) => aggregator.Flush(0);

    private (Aggregator Aggregator, SampleStore Store) Make(int size, int maxEdges = 100, int slowMinutes = 5, long budgetBytes = SampleStore.Unbounded)
    {
        var store = new SampleStore(new SampleOptions { MaxSamplesPerEdge = size, MaxSampleEdges = maxEdges, SlowSampleMinutes = slowMinutes }, _clock, budgetBytes);
        return (new Aggregator(new AggregationOptions(), shardCount: 1, samples: store), store);
    }

    private static SideRecord Http(NodeRef source, NodeRef target, int status, long latencyMicros, long? minute = null) => new()
    {
        Minute = minute ?? Now.ToUnixTimeSeconds() / 60,
        Reporter = ReporterSide.Server,
        Protocol = TrafficProtocol.Http,
        Source = source,
        Target = target,
        SourceInstance = string.Empty,
        TargetInstance = string.Empty,
        Endpoint = "GET /reviews/0",
        StatusCode = status,
        Error = status >= 500,
        LatencyMicros = latencyMicros,
    };

    private sealed record QueryWindowOf(DateTimeOffset From, DateTimeOffset To);

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
