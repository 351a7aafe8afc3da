using System.Diagnostics;
using System.Globalization;
using AlsAnalyzer.Benchmarks.Cli;
using AlsAnalyzer.Benchmarks.Corpus;
using Grpc.Core;

namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>
/// <c>many-streams</c>: one server; a load of <c>--loaded</c> streams alone (phase A), then
/// with <c>--streams</c> streams open in all, the others idle after their identifier message
/// (phase B). Reports the server's resident memory (VmRSS) before and after opening the idle
/// streams and its throughput and CPU per entry in both phases; checks the accounting of
/// everything sent, idle streams included, once they are closed.
/// </summary>
internal static class ManyStreamsCommand
{
    private const string StreamsOpen = "als_streams_open{api=\"accesslog_v3\"}";

    public static async Task<int> RunAsync(CliArgs args)
    {
        var options = ManyStreamsOptions.Read(args);
        args.RejectUnknown();
        return await RunAsync(options).ConfigureAwait(false);
    }

    public static async Task<int> RunAsync(ManyStreamsOptions o)
    {
        var ci = CultureInfo.InvariantCulture;
        var idleCount = o.Streams - o.Loaded;

        // istio-mx entries carry peer metadata on both sides: mx-mesh must map every one.
        var mapsEveryPeer = o.Corpus == CorpusKind.IstioMx;
        Console.WriteLine($"many-streams: {ProcInfo.MachineDescription()}");
        var corpusOptions = new CorpusOptions
        {
            Kind = o.Corpus,
            Streams = Math.Min(o.Loaded, 64),
            MessagesPerStream = 16,
            Start = CorpusCommand.StartNow(90),
            SpanSeconds = 90,
        };
        var corpus = CorpusGenerator.Generate(corpusOptions);
        var scripts = corpus.Streams.Select(LoadScript.From).ToList();
        var idleMessages = Enumerable.Range(0, idleCount).Select(i => CorpusGenerator.IdentifierMessage(corpusOptions, corpus.Mesh, i + o.Loaded, entries: 1)).ToList();
        Console.WriteLine(string.Create(ci, $"many-streams: {o.Streams} streams ({o.Loaded} loaded, {idleCount} idle after an identifier message of {idleMessages.FirstOrDefault()?.Payload.Length ?? 0} B), corpus {o.Corpus.Name()}, {o.Duration.TotalSeconds:F0} s per phase"));

        var problems = new List<string>();
        var server = await ServerProcess.StartAsync(o.ServerDll ?? ServerProcess.DefaultServerDll(), o.Mode, [], CancellationToken.None).ConfigureAwait(false);
        using var load = new LoadGenerator(server.GrpcAddress, o.Channels);
        var idle = new List<AsyncClientStreamingCall<byte[], byte[]>>(idleCount);
        try
        {
            var warm = await load.RunAsync(scripts, o.Loaded, o.Warmup, 0, CancellationToken.None).ConfigureAwait(false);
            Console.WriteLine($"many-streams: warm-up: {warm}");
            var start = await server.ScrapeAsync().ConfigureAwait(false);
            var rssBase = server.RssKb;

            var alone = await Measurement.TakeAsync(server, 1, mapsEveryPeer, () => load.RunAsync(scripts, o.Loaded, o.Duration, 0, CancellationToken.None)).ConfigureAwait(false);
            problems.AddRange(alone.Problems.Select(p => "phase A: " + p));
            var rssAlone = server.RssKb;
            Console.WriteLine(string.Create(ci, $"many-streams: phase A, {o.Loaded} streams alone: {alone.Load.EntriesPerSecond:N0} entries/s, server {alone.ServerMicrosPerEntry:F2} CPU-us/entry; RSS {rssAlone / 1024.0:F0} MB"));

            var opening = Stopwatch.StartNew();
            using (var gate = new SemaphoreSlim(o.OpenConcurrency))
            {
                var opens = idleMessages.Select(async m =>
                {
                    await gate.WaitAsync().ConfigureAwait(false);
                    try
                    {
                        var call = await load.OpenAsync(m.Payload, CancellationToken.None).ConfigureAwait(false);
                        lock (idle)
                        {
                            idle.Add(call);
                        }
                    }
                    finally
                    {
                        gate.Release();
                    }
                }).ToList();
                await Task.WhenAll(opens).ConfigureAwait(false);
            }

            // The server has them once it counted every identifier message.
            var openNow = await WaitForAsync(server, s => s.Sum("als_messages_received_total") - start.Sum("als_messages_received_total") >= alone.Load.Messages + idleCount, TimeSpan.FromSeconds(120)).ConfigureAwait(false);
            var openTime = opening.Elapsed;
            var rssIdle = server.RssKb;
            Console.WriteLine(string.Create(ci, $"many-streams: opened {idle.Count} idle streams in {openTime.TotalSeconds:F1} s; server reports {openNow.Get(StreamsOpen):F0} open; RSS {rssIdle / 1024.0:F0} MB (+{(rssIdle - rssAlone) / 1024.0:F0} MB, {(rssIdle - rssAlone) / (double)Math.Max(1, idle.Count):F1} KB per idle stream)"));
            if (openNow.Get(StreamsOpen) < idleCount)
            {
                problems.Add($"the server reports {openNow.Get(StreamsOpen)} open streams, {idleCount} idle ones were opened");
            }

            MetricsSnapshot? during = null;
            var sampler = Task.Run(async () =>
            {
                await Task.Delay(o.Duration / 2).ConfigureAwait(false);
                during = await server.ScrapeAsync().ConfigureAwait(false);
            });
            var crowded = await Measurement.TakeAsync(server, 2, mapsEveryPeer, () => load.RunAsync(scripts, o.Loaded, o.Duration, 0, CancellationToken.None)).ConfigureAwait(false);
            await sampler.ConfigureAwait(false);
            problems.AddRange(crowded.Problems.Select(p => "phase B: " + p));
            var rssCrowded = server.RssKb;
            var openDuring = during?.Get(StreamsOpen) ?? 0;
            Console.WriteLine(string.Create(ci, $"many-streams: phase B, {o.Loaded} loaded among {openDuring:F0} open: {crowded.Load.EntriesPerSecond:N0} entries/s, server {crowded.ServerMicrosPerEntry:F2} CPU-us/entry; RSS {rssCrowded / 1024.0:F0} MB"));
            if (openDuring < o.Streams)
            {
                problems.Add($"{openDuring} streams open during phase B, expected {o.Streams}");
            }

            var closing = Stopwatch.StartNew();
            await Task.WhenAll(idle.Select(LoadGenerator.CloseAsync)).ConfigureAwait(false);
            idle.Clear();
            var end = await server.ScrapeAsync().ConfigureAwait(false);
            Console.WriteLine(string.Create(ci, $"many-streams: closed the idle streams in {closing.Elapsed.TotalSeconds:F1} s; server reports {end.Get(StreamsOpen):F0} open; peak RSS {server.PeakRssKb / 1024.0:F0} MB"));
            var sentMessages = alone.Load.Messages + crowded.Load.Messages + idleCount;
            var sentEntries = alone.Load.Entries + crowded.Load.Entries + idleMessages.Sum(m => (long)m.Entries);
            problems.AddRange(end.Minus(start).Check(o.Mode, sentMessages, sentEntries, mapsEveryPeer).Select(p => "overall: " + p));

            Console.WriteLine();
            Console.WriteLine(string.Create(ci, $"Many streams ({o.Corpus.Name()}, mode {o.Mode}), one run:"));
            Console.WriteLine();
            Console.WriteLine("| phase | streams open | entries/s | server CPU-us/entry | server RSS MB |");
            Console.WriteLine("|---|---:|---:|---:|---:|");
            Console.WriteLine(string.Create(ci, $"| before load | 0 | - | - | {rssBase / 1024.0:F0} |"));
            Console.WriteLine(string.Create(ci, $"| A: loaded streams alone | {o.Loaded} | {alone.Load.EntriesPerSecond:N0} | {alone.ServerMicrosPerEntry:F2} | {rssAlone / 1024.0:F0} |"));
            Console.WriteLine(string.Create(ci, $"| idle streams opened | {idleCount} | - | - | {rssIdle / 1024.0:F0} |"));
            Console.WriteLine(string.Create(ci, $"| B: loaded among idle | {o.Streams} | {crowded.Load.EntriesPerSecond:N0} | {crowded.ServerMicrosPerEntry:F2} | {rssCrowded / 1024.0:F0} |"));
            Console.WriteLine();
            Console.WriteLine(string.Create(ci, $"B/A: throughput x{crowded.Load.EntriesPerSecond / alone.Load.EntriesPerSecond:F2}, CPU per entry x{crowded.ServerMicrosPerEntry / alone.ServerMicrosPerEntry:F2}; {(rssIdle - rssAlone) / (double)Math.Max(1, idleCount):F1} KB RSS per idle stream"));
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or RpcException or HttpRequestException or IOException)
        {
            problems.Add(ex.Message);
            Console.Error.WriteLine($"--- server log tail ---{Environment.NewLine}{server.LogTail()}");
        }
        finally
        {
            foreach (var call in idle)
            {
                call.Dispose();
            }

            await server.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var p in problems)
        {
            Console.Error.WriteLine("FAILED: " + p);
        }

        Console.WriteLine(problems.Count == 0 ? "many-streams: checks passed" : $"many-streams: {problems.Count} problem(s)");
        return problems.Count == 0 ? 0 : 1;
    }

    private static async Task<MetricsSnapshot> WaitForAsync(ServerProcess server, Func<MetricsSnapshot, bool> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var snapshot = await server.ScrapeAsync().ConfigureAwait(false);
            if (condition(snapshot) || watch.Elapsed > timeout)
            {
                return snapshot;
            }

            await Task.Delay(200).ConfigureAwait(false);
        }
    }
}
