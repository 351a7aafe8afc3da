using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using AlsAnalyzer.Benchmarks.Cli;
using AlsAnalyzer.Benchmarks.EndToEnd;
using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Benchmarks.Stress;

/// <summary>
/// <c>stress</c>: floods a real server process with random cardinality, long keys and crafted
/// peer metadata while sampling its RSS and running concurrent queries. Fails (exit 1) when the
/// peak RSS exceeds the memory budget plus the documented constant, or (unless smoke) when a
/// 60-minute topology takes 1 s or more or 4 MB or more, or ingest under concurrent queries
/// falls below 80% of ingest alone, or that ratio could not be measured over a running flood.
/// The smoke mode checks function only.
/// </summary>
internal static class StressCommand
{
    private const double MaxQuerySeconds = 1.0;
    private const int MaxQueryBytes = 4_000_000;
    private const double MinThroughputRatio = 0.8;
    private static readonly string[] MemoryShares = ["aggregation_ring", "decode_tables", "metrics_service", "tcp_connections", "samples"];
    private static readonly TimeSpan StreamLifetime = TimeSpan.FromSeconds(20);

    public static Task<int> RunAsync(CliArgs args)
    {
        var smoke = args.Flag("smoke");
        var d = smoke ? StressOptions.SmokeDefaults : new StressOptions();
        var options = d with
        {
            Entries = args.Int("entries", (int)d.Entries),
            Streams = args.Int("streams", d.Streams),
            Queries = args.Int("queries", d.Queries),
            PhaseSeconds = args.Int("phase-seconds", d.PhaseSeconds),
            Rounds = args.Int("rounds", d.Rounds),
            WarmupSeconds = args.Int("warmup-seconds", d.WarmupSeconds),
            BudgetMegabytes = args.Int("budget-mb", d.BudgetMegabytes),
            ConstantMegabytes = args.Int("constant-mb", d.ConstantMegabytes),
            ContainerLimitMegabytes = args.Int("container-limit-mb", d.ContainerLimitMegabytes),
            CraftedPeerEvery = args.Int("crafted-every", d.CraftedPeerEvery),
            ServerDll = args.String("server"),
            ServerArgs = args.String("server-args")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
            ServerEnvironment = args.String("server-env")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
        };
        args.RejectUnknown();
        return RunAsync(options);
    }

    public static async Task<int> RunAsync(StressOptions o)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(o.Smoke ? 3 : 20));
        var ct = cts.Token;
        // In a container with a memory limit the runtime caps the GC heap at 75% of it; here
        // there is no cgroup limit, so the same cap is set explicitly (0: none, the GC unbounded).
        var containerMb = o.ContainerLimitMegabytes;
        var environment = new Dictionary<string, string>();
        if (containerMb > 0)
        {
            environment["DOTNET_GCHeapHardLimit"] = (containerMb * 1024L * 1024 * 3 / 4).ToString("x", CultureInfo.InvariantCulture);
        }

        foreach (var variable in o.ServerEnvironment)
        {
            var (name, value) = variable.IndexOf('=', StringComparison.Ordinal) is > 0 and var eq ? (variable[..eq], variable[(eq + 1)..]) : throw new ArgumentException($"--server-env: '{variable}' is not NAME=VALUE.");
            environment[name] = value;
        }

        await using var server = await ServerProcess.StartAsync(
            o.ServerDll ?? ServerProcess.DefaultServerDll(),
            "analyze",
            [$"--Als:MemoryBudgetMegabytes={o.BudgetMegabytes}", .. o.ServerArgs],
            ct,
            environment: environment).ConfigureAwait(false);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.HttpPort}"), Timeout = TimeSpan.FromSeconds(60) };
        var failures = new List<string>();
        var baseRssMb = server.RssKb / 1024.0;
        var floodClock = Stopwatch.StartNew();
        Console.WriteLine($"stress: {o.Entries:N0} entries over the last hour, {o.Streams} streams, budget {o.BudgetMegabytes} MiB + {o.ConstantMegabytes} MiB, " +
            (containerMb > 0 ? $"GC heap capped as in a {containerMb} MiB container ({containerMb * 3 / 4} MiB)" : "GC heap not capped") + $"; server RSS at start {baseRssMb:F0} MiB");

        // RSS, sampled throughout.
        double peakRssMb = 0;
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sampler = Task.Run(
            async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peakRssMb = Math.Max(peakRssMb, server.RssKb / 1024.0);
                    try
                    {
                        await Task.Delay(200, sampling.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            },
            CancellationToken.None);

        // The flood: o.Entries at least, and on until the throughput phases are over, so that
        // every phase measures a flood that is running from its first second to its last.
        long sent = 0;
        var phasesOver = false;
        using var client = new AlsClient(server.GrpcAddress);
        var flood = Enumerable.Range(0, o.Streams).Select(i => Task.Run(
            async () =>
            {
                // One stream after another, each well within the client's 60 s call deadline.
                var source = new FloodSource(1_000 + i, o);
                bool Done() => (Volatile.Read(ref phasesOver) && Interlocked.Read(ref sent) >= o.Entries) || ct.IsCancellationRequested;
                while (!Done())
                {
                    var stream = Stopwatch.StartNew();
                    await client.SendAsync(source.Messages(() => Done() || stream.Elapsed > StreamLifetime, n => Interlocked.Add(ref sent, n)), cancellationToken: ct).ConfigureAwait(false);
                }
            },
            ct)).ToArray();

        // Warm-up, then rounds of ingest alone (A) and ingest with concurrent 60-minute
        // topology queries (B), alternated so that the machine's drift falls on both.
        await Task.Delay(TimeSpan.FromSeconds(o.WarmupSeconds), ct).ConfigureAwait(false);
        var queryStats = new QueryStats();
        double aloneEntries = 0, aloneSeconds = 0, withEntries = 0, withSeconds = 0;
        var floodThroughout = true;
        for (var round = 0; round < o.Rounds; round++)
        {
            var a = await IngestPhaseAsync(server, o.PhaseSeconds, ct).ConfigureAwait(false);
            floodThroughout &= a.Valid && !flood.Any(f => f.IsCompleted);
            aloneEntries += a.Entries;
            aloneSeconds += a.Seconds;

            using var querying = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var queryLoops = Enumerable.Range(0, o.Queries).Select(_ => Task.Run(() => QueryLoopAsync(http, queryStats, querying.Token, ct), CancellationToken.None)).ToArray();
            var b = await IngestPhaseAsync(server, o.PhaseSeconds, ct).ConfigureAwait(false);
            floodThroughout &= b.Valid && !flood.Any(f => f.IsCompleted);
            withEntries += b.Entries;
            withSeconds += b.Seconds;

            // Each loop finishes the query it is in (so a slow one still counts), then stops;
            // the next phase A starts without queries. After the last phase the flood needs
            // to go on only until its entries are sent.
            if (round == o.Rounds - 1)
            {
                Volatile.Write(ref phasesOver, true);
            }

            await querying.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(queryLoops).ConfigureAwait(false);
        }

        var alone = aloneSeconds > 0 ? aloneEntries / aloneSeconds : 0;
        var withQueries = withSeconds > 0 ? withEntries / withSeconds : 0;
        var ratio = alone > 0 ? withQueries / alone : 0;
        if (floodThroughout)
        {
            Console.WriteLine($"stress: ingest alone {alone:N0} entries/s, with {o.Queries} concurrent queries {withQueries:N0} entries/s: {ratio:P0} ({o.Rounds} rounds of {o.PhaseSeconds} s each, the flood running throughout)");
        }
        else
        {
            Console.WriteLine($"stress: ingest alone {alone:N0} entries/s, with {o.Queries} concurrent queries {withQueries:N0} entries/s: no ratio (a flood stream ended or a scrape failed during the phases)");
        }

        Console.WriteLine($"stress: concurrent queries: {queryStats.Ok} answered (median {queryStats.Median():F3} s, max {queryStats.Max():F3} s, largest {queryStats.LargestBytes:N0} B), {queryStats.Busy} refused 503, {queryStats.Failed} failed");

        try
        {
            await Task.WhenAll(flood).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Grpc.Core.RpcException or IOException or HttpRequestException)
        {
            failures.Add("flood stream failed: " + ex.Message);
        }

        var floodSeconds = floodClock.Elapsed.TotalSeconds;
        Console.WriteLine($"stress: flood of {Interlocked.Read(ref sent):N0} entries over {floodSeconds:F0} s ({Interlocked.Read(ref sent) / floodSeconds:N0} entries/s sent)");

        // The 60-minute topology after the flood, alone.
        var final = new List<(double Seconds, int Bytes, bool Truncated)>();
        for (var i = 0; i < 3; i++)
        {
            try
            {
                final.Add(await TopologyAsync(http, ct).ConfigureAwait(false));
            }
            catch (HttpRequestException ex)
            {
                failures.Add("60-minute topology after the flood failed: " + ex.Message);
            }
        }

        var services = await http.GetAsync(new Uri("/api/v1/services?from=" + From(), UriKind.Relative), ct).ConfigureAwait(false);
        await sampling.CancelAsync().ConfigureAwait(false);
        await sampler.ConfigureAwait(false);
        var metrics = await server.ScrapeAsync(ct).ConfigureAwait(false);
        var peakHwmMb = server.PeakRssKb / 1024.0;
        peakRssMb = Math.Max(peakRssMb, peakHwmMb);

        var topology = final.Count == 0 ? (Seconds: double.NaN, Bytes: 0, Truncated: false) : final.OrderBy(f => f.Seconds).ElementAt(final.Count / 2);
        Console.WriteLine($"stress: sent {Interlocked.Read(ref sent):N0} entries; server received {metrics.Get("als_entries_received_total"):N0}, malformed messages {metrics.Get("als_messages_rejected_total{reason=\"malformed\"}"):N0}");
        Console.WriteLine($"stress: 60-minute topology after the flood: median {topology.Seconds:F3} s, {topology.Bytes:N0} B, truncated {topology.Truncated} (of 3: {string.Join(", ", final.Select(f => f.Seconds.ToString("F3", CultureInfo.InvariantCulture)))} s)");
        Console.WriteLine($"stress: ring {metrics.Get("als_memory_estimated_bytes{share=\"aggregation_ring\"}") / 1048576:F0} MiB estimated of {metrics.Get("als_memory_budget_bytes{share=\"aggregation_ring\"}") / 1048576:F0} MiB; overflow edges {metrics.Get("als_aggregation_overflow_total{dimension=\"edge\"}"):N0}, endpoints {metrics.Get("als_aggregation_overflow_total{dimension=\"endpoint\"}"):N0}, instances {metrics.Get("als_aggregation_overflow_total{dimension=\"instance\"}"):N0}; evicted buckets {metrics.Get("als_aggregation_evicted_buckets_total"):N0}, calls dropped {metrics.Get("als_aggregation_evicted_calls_total"):N0}");
        var shares = string.Join(", ", MemoryShares.Select(share => $"{share} {metrics.Get($"als_memory_estimated_bytes{{share=\"{share}\"}}") / 1048576:F0}"));
        Console.WriteLine($"stress: estimated MiB by share: {shares}; GC heap limit {metrics.Get("als_gc_heap_limit_bytes") / 1048576:F0} MiB");
        Console.WriteLine($"stress: peak RSS {peakRssMb:F0} MiB (limit {o.BudgetMegabytes + o.ConstantMegabytes} MiB)");

        if (peakRssMb > o.BudgetMegabytes + o.ConstantMegabytes)
        {
            failures.Add($"peak RSS {peakRssMb:F0} MiB exceeds the budget {o.BudgetMegabytes} MiB + {o.ConstantMegabytes} MiB");
        }

        if (queryStats.Failed > 0 || queryStats.Ok == 0)
        {
            failures.Add($"concurrent queries: {queryStats.Ok} answered, {queryStats.Failed} failed");
        }

        if (services.StatusCode != HttpStatusCode.OK)
        {
            failures.Add($"services query answered {(int)services.StatusCode}");
        }

        if (!o.Smoke)
        {
            if (final.Count > 0 && (topology.Seconds >= MaxQuerySeconds || topology.Bytes >= MaxQueryBytes))
            {
                failures.Add($"60-minute topology took {topology.Seconds:F3} s and {topology.Bytes:N0} B (targets < {MaxQuerySeconds} s, < {MaxQueryBytes:N0} B)");
            }

            if (!floodThroughout)
            {
                failures.Add("the ingest ratio was not measured: the flood did not run throughout the phases");
            }
            else if (ratio < MinThroughputRatio)
            {
                failures.Add($"ingest under {o.Queries} concurrent queries is {ratio:P0} of ingest alone (target {MinThroughputRatio:P0})");
            }
        }

        if (!await HealthyAsync(http, ct).ConfigureAwait(false))
        {
            failures.Add("server not healthy after the flood");
        }

        foreach (var failure in failures)
        {
            Console.Error.WriteLine("FAILED: stress: " + failure);
        }

        if (failures.Count > 0)
        {
            Console.Error.WriteLine("stress: the server's last log lines:" + Environment.NewLine + server.LogTail());
        }

        Console.WriteLine(failures.Count == 0 ? "stress: ok" : "stress: FAILED");
        return failures.Count == 0 ? 0 : 1;
    }

    private static string From() => Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(-60).ToString("O", CultureInfo.InvariantCulture));

    /// <summary>Entries the server received over about <paramref name="seconds"/>, and the seconds between the two scrapes (not valid when a scrape failed).</summary>
    private static async Task<(double Entries, double Seconds, bool Valid)> IngestPhaseAsync(ServerProcess server, int seconds, CancellationToken ct)
    {
        try
        {
            var before = await server.ScrapeAsync(ct).ConfigureAwait(false);
            var watch = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(seconds), ct).ConfigureAwait(false);
            var after = await server.ScrapeAsync(ct).ConfigureAwait(false);
            return (after.Get("als_entries_received_total") - before.Get("als_entries_received_total"), watch.Elapsed.TotalSeconds, true);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            Console.Error.WriteLine("stress: /metrics scrape failed: " + ex.Message);
            return (0, 0, false);
        }
    }

    private static async Task<(double Seconds, int Bytes, bool Truncated)> TopologyAsync(HttpClient http, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var body = await http.GetByteArrayAsync(new Uri("/api/v1/topology?from=" + From(), UriKind.Relative), ct).ConfigureAwait(false);
        var seconds = watch.Elapsed.TotalSeconds;
        using var json = JsonDocument.Parse(body);
        return (seconds, body.Length, json.RootElement.GetProperty("truncated").GetBoolean());
    }

    private static async Task QueryLoopAsync(HttpClient http, QueryStats stats, CancellationToken stop, CancellationToken ct)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var watch = Stopwatch.StartNew();
                using var response = await http.GetAsync(new Uri("/api/v1/topology?from=" + From(), UriKind.Relative), ct).ConfigureAwait(false);
                var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    stats.Answered(watch.Elapsed.TotalSeconds, body.Length);
                }
                else if (response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is not null)
                {
                    stats.Refused();
                    await Task.Delay(response.Headers.RetryAfter.Delta ?? TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
                }
                else
                {
                    stats.Fail();
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (HttpRequestException)
            {
                stats.Fail();
            }
        }
    }

    private static async Task<bool> HealthyAsync(HttpClient http, CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative), ct).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private sealed class QueryStats
    {
        private readonly List<double> _seconds = [];
        private readonly Lock _lock = new();

        public int Ok { get; private set; }

        public int Busy { get; private set; }

        public int Failed { get; private set; }

        public int LargestBytes { get; private set; }

        public void Answered(double seconds, int bytes)
        {
            lock (_lock)
            {
                Ok++;
                _seconds.Add(seconds);
                LargestBytes = Math.Max(LargestBytes, bytes);
            }
        }

        public void Refused()
        {
            lock (_lock)
            {
                Busy++;
            }
        }

        public void Fail()
        {
            lock (_lock)
            {
                Failed++;
            }
        }

        public double Median()
        {
            lock (_lock)
            {
                return _seconds.Count == 0 ? 0 : _seconds.Order().ElementAt(_seconds.Count / 2);
            }
        }

        public double Max()
        {
            lock (_lock)
            {
                return _seconds.Count == 0 ? 0 : _seconds.Max();
            }
        }
    }
}
