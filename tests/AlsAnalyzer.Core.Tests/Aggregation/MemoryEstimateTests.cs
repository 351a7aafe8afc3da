using System.Text;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Model;
using Google.Protobuf;

namespace AlsAnalyzer.Core.Tests;

/// <summary>Alone: the heap is measured process-wide, so no other test may allocate meanwhile.</summary>
[CollectionDefinition(nameof(HeapMeasurement), DisableParallelization = true)]
public sealed class HeapMeasurement;

/// <summary>
/// The memory budget's estimates against the real heap: each main table is filled in process
/// with distinct keys (as a flood makes them), and what it keeps alive (the heap after a full
/// collection, less the heap before) is compared with what it estimates. An estimate must
/// cover the real bytes (a table under its share never holds more than the share), and not be
/// absurdly above them (within 2x), or the budget would refuse traffic it has room for.
/// </summary>
[Collection(nameof(HeapMeasurement))]
public sealed class MemoryEstimateTests
{
    // The heap counter is process-wide: what the test host itself allocates meanwhile is in it
    // (the same fill measured 8 KB apart from one run to the next).
    private const long NoiseBytes = 64 * 1024;

    private static readonly DateTimeOffset Now = new(2026, 12, 5, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Ring_EdgesEndpointsInstances_EstimateCoversTheHeapWithin2x()
    {
        var minute = Now.ToUnixTimeSeconds() / 60;

        var (real, estimated) = Retained(() => new Aggregator(new AggregationOptions(), shardCount: 1), a =>
        {
            for (var m = 0; m < 3; m++)
            {
                for (var i = 0; i < 6_000; i++)
                {
                    using var lease = a.Claim();
                    lease.Sink.Record(Record(minute - m, i, client: false));
                    lease.Sink.Record(Record(minute - m, i, client: true));
                }

                a.Flush(0);
            }

            return a.EstimatedBytes;
        });

        AssertCovers(real, estimated, "ring");
    }

    [Fact]
    public void InternTable_DistinctHostsAndIps_EstimateCoversTheHeapWithin2x()
    {
        var keys = Enumerable.Range(0, 60_000).Select(i => Encoding.UTF8.GetBytes(i % 3 == 0 ? $"10.{i / 65536}.{i / 256 % 256}.{i % 256}" : $"svc-{Letters(i)}.ns-{Letters(i / 7)}.svc.cluster.local")).ToArray();
        var (real, estimated) = Retained(() => new InternTable(1_000_000), t =>
        {
            foreach (var key in keys)
            {
                t.InternUtf8(key);
            }

            return t.Bytes;
        });

        AssertCovers(real, estimated, "strings");
    }

    [Fact]
    public void EndpointTable_DistinctPaths_EstimateCoversTheHeapWithin2x()
    {
        var paths = Enumerable.Range(0, 40_000).Select(i => Encoding.UTF8.GetBytes($"/api/v1/{Letters(i)}/items/{Letters(i * 31)}/detail")).ToArray();
        var (real, estimated) = Retained(() => new EndpointTable(1_000_000), t =>
        {
            foreach (var path in paths)
            {
                t.Intern(1, path);
            }

            return t.Bytes + t.Paths.Bytes;
        });

        AssertCovers(real, estimated, "endpoints and endpoint paths");
    }

    [Fact]
    public void Samples_FailingAndSlowCallsWithDetails_EstimateCoversTheHeapWithin2x()
    {
        SampleStore Store() => new(new SampleOptions { MaxSamplesPerEdge = 4, MaxSampleEdges = 100_000 }, new FixedClock(Now));
        var minute = Now.ToUnixTimeSeconds() / 60;
        var entry = new Envoy.Data.Accesslog.V3.HTTPAccessLogEntry
        {
            Request = new Envoy.Data.Accesslog.V3.HTTPRequestProperties { RequestId = Guid.NewGuid().ToString() },
            Response = new Envoy.Data.Accesslog.V3.HTTPResponseProperties { ResponseCodeDetails = "upstream_reset_before_response_started{connection_termination}" },
            CommonProperties = new Envoy.Data.Accesslog.V3.AccessLogCommon { UpstreamCluster = "outbound|9080||reviews.default.svc.cluster.local" },
        }.ToByteArray();

        var (real, estimated) = Retained(Store, s =>
        {
            for (var batch = 0; batch < 10; batch++)
            {
                var capture = new SampleCapture(s);
                for (var i = 0; i < 1_000; i++)
                {
                    for (var call = 0; call < 3; call++)
                    {
                        var record = Record(minute, (batch * 1_000) + i, client: false) with { StatusCode = 503, Error = true, LatencyMicros = 1_000 + call };
                        if (capture.Offer(new EdgeStats(), record))
                        {
                            capture.Attach(entry);
                        }
                    }
                }

                s.Merge(capture);
            }

            return s.EstimatedBytes;
        });

        AssertCovers(real, estimated, "samples");
    }

    /// <summary>
    /// What <paramref name="fill"/> leaves alive in a new table (heap after, less heap before,
    /// each after a full collection) and the table's estimate. A first table takes the same fill
    /// unmeasured: the runtime's first-time work (first calls, static data) is not the table's.
    /// </summary>
    private static (long Real, long Estimated) Retained<T>(Func<T> make, Func<T, long> fill)
    {
        fill(make());
        var table = make();
        var before = Settled();
        var estimated = fill(table);
        var after = Settled();
        GC.KeepAlive(table);
        return (after - before, estimated);
    }

    private static long Settled()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static void AssertCovers(long real, long estimated, string table)
    {
        TestContext.Current.TestOutputHelper?.WriteLine($"{table}: estimated {estimated:N0} B, real {real:N0} B ({(double)estimated / real:F2}x)");
        Assert.True(real > 1_000_000, $"{table}: only {real} B held, too little to measure");
        Assert.True(estimated >= real - NoiseBytes, $"{table}: estimated {estimated:N0} B < real {real:N0} B");
        Assert.True(estimated <= 2 * real, $"{table}: estimated {estimated:N0} B > 2x real {real:N0} B");
    }

    /// <summary>A call of edge <paramref name="i"/> (its own source, target, pods and endpoint: strings made anew for every record, as decoding does).</summary>
    private static SideRecord Record(long minute, int i, bool client) => new()
    {
        Minute = minute,
        Reporter = client ? ReporterSide.Client : ReporterSide.Server,
        Protocol = TrafficProtocol.Http,
        Source = NodeRef.Service("ns-" + Letters(i / 100), "caller-" + Letters(i)),
        Target = NodeRef.Service("ns-" + Letters(i / 100), "callee-" + Letters(i)),
        SourceInstance = "caller-" + Letters(i) + "-pod",
        TargetInstance = "callee-" + Letters(i) + "-pod",
        Endpoint = "GET /api/" + Letters(i),
        StatusCode = 200,
        LatencyMicros = 1_000,
        BytesSent = 100,
        BytesReceived = 1_000,
    };

    private static string Letters(int i)
    {
        var s = new StringBuilder();
        do
        {
            s.Append((char)('a' + (i % 26)));
            i /= 26;
        }
        while (i > 0);
        return s.ToString();
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
