using System.Collections.Concurrent;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace AlsAnalyzer.Core.Tests.Aggregation;

/// <summary>
/// The lock-free shards against the slow reference: the same records, written by concurrent
/// writers in messages while a collector swaps buffers out (mid-message whenever it lands
/// there) and a query reads, give exactly the aggregates of recording them one by one into a
/// single bucket per minute.
/// </summary>
public sealed class ConcurrentAggregationProperties
{
    private static readonly NodeRef[] Services =
    [
        NodeRef.Service("default", "productpage"),
        NodeRef.Service("default", "reviews"),
        NodeRef.Service("default", "ratings"),
        NodeRef.Service("shop", "cart"),
        NodeRef.Service("istio-system", "istio-ingressgateway"),
        NodeRef.External("api.example.com"),
        NodeRef.Unknown,
    ];

    private static readonly string[] Endpoints = ["GET /", "GET /reviews/1", "POST /cart", "PUT /ratings", string.Empty];
    private static readonly string[] Instances = [string.Empty, "pod-a", "pod-b", "pod-c"];
    private static readonly int[] Statuses = [0, 101, 200, 204, 304, 404, 429, 500, 503];

    // Writers up to 8 over 1-4 shards: writers often find every shard claimed, so the tests
    // also cover skipping busy shards and adding shards.
    private static readonly Arbitrary<Scenario> Scenarios =
        (from writers in Gen.Choose(1, 8)
         from shards in Gen.Choose(1, 4)
         from count in Gen.Choose(1, 4000)
         from maxMessage in Gen.Choose(1, 64)
         from seed in Gen.Choose(0, int.MaxValue)
         select new Scenario(writers, shards, maxMessage, seed, Generate(count, seed))).ToArbitrary();

    [Property(MaxTest = 40)]
    public Property Aggregates_ConcurrentWritersWithRunningCollector_SameAsReference()
    {
        return Prop.ForAll(Scenarios, scenario =>
        {
            var expected = AggregateDigest.Of(Reference(scenario.Records));
            var actual = RunConcurrently(scenario);
            Assert.Equal(expected, actual);
        });
    }

    private static List<string> RunConcurrently(Scenario scenario)
    {
        var aggregator = new Aggregator(new AggregationOptions(), scenario.Shards);
        var crashes = new ConcurrentQueue<Exception>();
        using var start = new Barrier(scenario.Writers + 2);
        var writing = scenario.Writers;

        var writers = Enumerable.Range(0, scenario.Writers).Select(w => new Thread(() => Guard(crashes, () =>
        {
            try
            {
                var mine = scenario.Records.Where((_, i) => i % scenario.Writers == w).ToArray();
                var random = new Random(scenario.Seed ^ (w + 1));
                start.SignalAndWait(TestContext.Current.CancellationToken);
                for (var next = 0; next < mine.Length;)
                {
                    // One message: claim, record, release - as the pipelines do.
                    var size = random.Next(1, scenario.MaxMessage + 1);
                    using var lease = aggregator.Claim();
                    for (var end = Math.Min(next + size, mine.Length); next < end; next++)
                    {
                        lease.Sink.Record(mine[next]);
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref writing);
            }
        }))).ToList();

        // The collector's timer and a query, both folding while the writers write.
        var collector = new Thread(() => Guard(crashes, () =>
        {
            start.SignalAndWait(TestContext.Current.CancellationToken);
            while (Volatile.Read(ref writing) > 0)
            {
                aggregator.Flush(oldestMinute: 0);
            }
        }));
        var query = new Thread(() => Guard(crashes, () =>
        {
            start.SignalAndWait(TestContext.Current.CancellationToken);
            while (Volatile.Read(ref writing) > 0)
            {
                _ = aggregator.Read(0, 0, long.MaxValue, window => window.Count);
                Thread.Yield();
            }
        }));

        writers.ForEach(t => t.Start());
        collector.Start();
        query.Start();
        writers.ForEach(t => t.Join());
        collector.Join();
        query.Join();
        Assert.Empty(crashes);
        return aggregator.Read(0, 0, long.MaxValue, AggregateDigest.Of);
    }

    /// <summary>The reference: every record, one by one, into one bucket per minute, on one thread.</summary>
    private static SortedDictionary<long, MinuteBucket> Reference(SideRecord[] records)
    {
        var minutes = new SortedDictionary<long, MinuteBucket>();
        foreach (var record in records)
        {
            if (!minutes.TryGetValue(record.Minute, out var bucket))
            {
                bucket = new MinuteBucket(new AggregationOptions());
                minutes.Add(record.Minute, bucket);
            }

            bucket.Record(record);
        }

        return minutes;
    }

    private static SideRecord[] Generate(int count, int seed)
    {
        var random = new Random(seed);
        T Pick<T>(T[] from) => from[random.Next(from.Length)];
        var records = new SideRecord[count];
        for (var i = 0; i < count; i++)
        {
            var tcp = random.Next(5) == 0;
            var source = Pick(Services);
            var target = Pick(Services);
            records[i] = new SideRecord
            {
                Minute = 1_000 + random.Next(3),
                Reporter = random.Next(2) == 0 ? ReporterSide.Client : ReporterSide.Server,
                Protocol = tcp ? TrafficProtocol.Tcp : random.Next(4) == 0 ? TrafficProtocol.Grpc : TrafficProtocol.Http,
                Source = source,
                Target = target,
                SourceInstance = Pick(Instances),
                TargetInstance = Pick(Instances),
                SourceIsGateway = source.Name == "istio-ingressgateway",
                TargetIsGateway = random.Next(10) == 0,
                Endpoint = tcp ? string.Empty : Pick(Endpoints),
                StatusCode = tcp ? 0 : Pick(Statuses),
                Flags = random.Next(4) == 0 ? (uint)random.Next(1, 1 << 12) : 0,
                Error = random.Next(8) == 0,
                LatencyMicros = random.Next(10) == 0 ? -1 : random.Next(0, 5_000_000),
                BytesSent = random.Next(0, 100_000),
                BytesReceived = random.Next(0, 100_000),
                TlsKnown = random.Next(2) == 0,
                Mtls = random.Next(2) == 0,
                Connections = tcp ? random.Next(2) : 0,
                ConnectionsOpened = tcp ? random.Next(2) : 0,
                Blocked = random.Next(20) == 0,
                Passthrough = random.Next(20) == 0,
            };
        }

        return records;
    }

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

    internal sealed record Scenario(int Writers, int Shards, int MaxMessage, int Seed, SideRecord[] Records)
    {
        public override string ToString() => $"{Writers} writers, {Shards} shards, messages of 1-{MaxMessage}, {Records.Length} records, seed {Seed}";
    }
}
