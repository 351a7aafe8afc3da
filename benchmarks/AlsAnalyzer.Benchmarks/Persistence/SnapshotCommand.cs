using System.Diagnostics;
using AlsAnalyzer.Benchmarks.Cli;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Persistence;

namespace AlsAnalyzer.Benchmarks.Persistence;

/// <summary>
/// Snapshot size and time for a large minute ring: every retained minute filled to the
/// default caps' order of magnitude, written and restored a few times (median reported).
/// </summary>
internal static class SnapshotCommand
{
    public static int Run(CliArgs args)
    {
        var edges = args.Int("edges", 10_000);
        var minutes = args.Int("minutes", 60);
        var rounds = args.Int("rounds", 3);
        args.RejectUnknown();

        var options = new AggregationOptions { RetentionMinutes = minutes };
        var now = DateTimeOffset.UtcNow;
        var nowMinute = now.ToUnixTimeSeconds() / 60;
        var oldest = options.Retention.OldestMinute(now);
        var aggregator = Fill(options, edges, minutes, nowMinute);
        var (e, ep, inst, held) = aggregator.SeriesCounts();
        Console.WriteLine($"ring: {held} minutes, {e:N0} edges, {ep:N0} endpoints, {inst:N0} instances");

        var dir = Directory.CreateTempSubdirectory("als-snapshot-bench-");
        try
        {
            var path = Path.Combine(dir.FullName, SnapshotFile.FileName);
            var writes = new List<double>();
            var reads = new List<double>();
            long bytes = 0;
            for (var r = 0; r < rounds; r++)
            {
                var clock = Stopwatch.StartNew();
                var overflow = aggregator.OverflowTotal;
                bytes = SnapshotFile.Write(path, writer => aggregator.Read(oldest, long.MinValue, long.MaxValue, ring =>
                {
                    SnapshotCodec.Write(writer, ring, overflow, now, options.Retention);
                    return 0;
                }));
                writes.Add(clock.Elapsed.TotalMilliseconds);

                clock.Restart();
                var restored = new Aggregator(options);
                using (var file = SnapshotFile.OpenVerified(path, out var payload))
                {
                    var read = SnapshotCodec.Read(SnapshotFile.ReadSections(file, payload), options);
                    restored.Restore(oldest, read.Minutes, read.Overflow);
                }

                reads.Add(clock.Elapsed.TotalMilliseconds);
                GC.Collect();
            }

            writes.Sort();
            reads.Sort();
            Console.WriteLine($"snapshot: {bytes:N0} bytes ({bytes / (double)e:F0} per edge); write (read ring + encode + fsync) median {writes[rounds / 2]:F0} ms; load (verify + decode + restore) median {reads[rounds / 2]:F0} ms; {rounds} rounds");
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static Aggregator Fill(AggregationOptions options, int edgesPerMinute, int minutes, long nowMinute)
    {
        var aggregator = new Aggregator(options);
        var services = Enumerable.Range(0, 200).Select(i => NodeRef.Service("ns-" + (i % 10), "svc-" + i)).ToArray();
        var paths = Enumerable.Range(0, 20).Select(i => "GET /api/v1/items/" + i).ToArray();
        var pods = services.Select(s => Enumerable.Range(0, 3).Select(p => $"{s.Name}-7f99cc4496-{p:D5}").ToArray()).ToArray();
        var random = new Random(7);
        for (var m = 0; m < minutes; m++)
        {
            for (var e = 0; e < edgesPerMinute; e++)
            {
                var (s, t) = (e / services.Length % services.Length, e % services.Length);
                for (var call = 0; call < 4; call++)
                {
                    var record = new SideRecord
                    {
                        Minute = nowMinute - m,
                        Reporter = call % 2 == 0 ? ReporterSide.Client : ReporterSide.Server,
                        Protocol = (e & 7) == 0 ? TrafficProtocol.Grpc : TrafficProtocol.Http,
                        Source = services[s],
                        Target = services[t],
                        SourceInstance = pods[s][call % 3],
                        TargetInstance = pods[t][call % 3],
                        Endpoint = paths[(e + call) % paths.Length],
                        StatusCode = random.Next(20) == 0 ? 503 : 200,
                        LatencyMicros = (long)Math.Exp(random.NextDouble() * 14),
                        BytesSent = 300,
                        BytesReceived = 2_000,
                        TlsKnown = true,
                        Mtls = true,
                    };
                    using var lease = aggregator.Claim();
                    lease.Sink.Record(record);
                }
            }

            aggregator.Flush(options.Retention.OldestMinute(DateTimeOffset.FromUnixTimeSeconds(nowMinute * 60)));
        }

        return aggregator;
    }
}
