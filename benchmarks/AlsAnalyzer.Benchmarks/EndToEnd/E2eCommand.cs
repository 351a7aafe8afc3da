using System.Globalization;
using AlsAnalyzer.Benchmarks.Cli;
using AlsAnalyzer.Benchmarks.Corpus;

namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>
/// <c>e2e</c>: starts one server process per ingest mode (<c>analyze</c>: the shipped pipeline;
/// <c>reference</c>: the generated-object pipeline; <c>discard</c>: the transport floor), loads them alternately from this process for
/// <c>--rounds</c> rounds, and reports per mode the median entries/s and server CPU-us per entry
/// (utime+stime from /proc) and the ratios to discard, after checking the server's
/// accounting. Then an h2load replay of one stream's body, when h2load is installed.
/// </summary>
internal static class E2eCommand
{
    public static async Task<int> RunAsync(CliArgs args)
    {
        var options = E2eOptions.Read(args);
        args.RejectUnknown();
        return await RunAsync(options).ConfigureAwait(false);
    }

    public static async Task<int> RunAsync(E2eOptions o)
    {
        var ci = CultureInfo.InvariantCulture;
        var serverDll = o.ServerDll ?? ServerProcess.DefaultServerDll();
        Console.WriteLine($"e2e: {ProcInfo.MachineDescription()}");
        var corpusOptions = new CorpusOptions
        {
            Kind = o.Corpus,
            Streams = o.Scripts,
            MessagesPerStream = o.MessagesPerScript,
            Start = CorpusCommand.StartNow(90),
            SpanSeconds = 90,
        };
        var corpus = CorpusGenerator.Generate(corpusOptions);
        var scripts = corpus.Streams.Select(LoadScript.From).ToList();
        Console.WriteLine(string.Create(ci, $"e2e: corpus {o.Corpus.Name()} ({corpus.Streams.Count} reporters x {o.MessagesPerScript} messages, {corpus.PayloadBytes / (double)corpus.Entries:F0} B/entry); {o.Streams} streams over {(o.Connections > 0 ? o.Connections : o.Streams)} connections; {o.Rounds} rounds of {o.Duration.TotalSeconds:F0} s per mode, alternating; server {serverDll}{(o.BaseServerDll is { } baseDll ? $", base server {baseDll}" : string.Empty)}"));

        var servers = new List<(ServerProcess Server, LoadGenerator Load)>();
        var measurements = new List<Measurement>();
        var problems = new List<string>();
        MeshApiServer? kube = null;
        try
        {
            if (o.KubernetesOn)
            {
                kube = await MeshApiServer.StartAsync(corpus.Mesh).ConfigureAwait(false);
                Console.WriteLine($"e2e: Kubernetes API server (list/watch fake) with the mesh's {kube.Pods:N0} pods; servers wait for their first full sync");
            }

            foreach (var (label, mode, onBase) in o.Servers)
            {
                var server = await ServerProcess.StartAsync(onBase ? o.BaseServerDll! : serverDll, mode, kube?.ServerArgs ?? [], CancellationToken.None, waitReady: kube is not null, label: label).ConfigureAwait(false);
                servers.Add((server, new LoadGenerator(server.GrpcAddress, o.Connections > 0 ? o.Connections : o.Streams)));
                Console.WriteLine($"e2e: server pid {server.Pid} mode {label} on gRPC :{server.GrpcPort}, HTTP :{server.HttpPort}");
            }

            foreach (var (server, load) in servers)
            {
                var warm = await load.RunAsync(scripts, o.Streams, o.Warmup, 0, CancellationToken.None).ConfigureAwait(false);
                Console.WriteLine($"e2e: warm-up {server.Mode}: {warm}");
            }

            for (var round = 1; round <= o.Rounds; round++)
            {
                // Alternate the order (A B, B A, ...) so a drift of the machine hits both modes alike.
                var order = round % 2 == 1 ? servers : Enumerable.Reverse(servers).ToList();
                foreach (var (server, load) in order)
                {
                    var m = await Measurement.TakeAsync(server, round, o.MapsEveryPeer, () => load.RunAsync(scripts, o.Streams, o.Duration, 0, CancellationToken.None)).ConfigureAwait(false);
                    measurements.Add(m);
                    Console.WriteLine(string.Create(ci, $"e2e: round {round} {m.Mode,-9} {m.Load.EntriesPerSecond,10:N0} entries/s, server {m.ServerMicrosPerEntry:F2} CPU-us/entry ({m.ServerCores:F2} cores), client {m.ClientMicrosPerEntry:F2} CPU-us/entry; {m.Load}"));
                    problems.AddRange(m.Problems.Select(p => $"round {round} {m.Mode}: {p}"));
                }
            }

            Console.WriteLine();
            Console.WriteLine(SummaryTable(measurements, o));

            if (o.H2Load)
            {
                problems.AddRange(await H2LoadCheck.RunAsync(servers.Select(s => s.Server).ToList(), corpus.Streams[0], o.H2LoadRequests).ConfigureAwait(false));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or FileNotFoundException or HttpRequestException or IOException)
        {
            problems.Add(ex.Message);
            foreach (var (server, _) in servers)
            {
                Console.Error.WriteLine($"--- server {server.Mode} log tail ---{Environment.NewLine}{server.LogTail()}");
            }
        }
        finally
        {
            try
            {
                foreach (var (server, load) in servers)
                {
                    load.Dispose();
                    await server.DisposeAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                if (kube is not null)
                {
                    await kube.DisposeAsync().ConfigureAwait(false);
                }
            }
        }

        foreach (var p in problems)
        {
            Console.Error.WriteLine("FAILED: " + p);
        }

        Console.WriteLine(problems.Count == 0 ? "e2e: accounting checks passed" : $"e2e: {problems.Count} problem(s)");
        return problems.Count == 0 ? 0 : 1;
    }

    private static string SummaryTable(List<Measurement> measurements, E2eOptions o)
    {
        var ci = CultureInfo.InvariantCulture;
        var text = new System.Text.StringBuilder();
        text.AppendLine(string.Create(ci, $"End to end, {o.Corpus.Name()}, {o.Streams} streams, medians of {o.Rounds} alternating rounds of {o.Duration.TotalSeconds:F0} s:"));
        text.AppendLine();
        text.AppendLine("| mode | entries/s | server CPU-us/entry | server cores busy | client CPU-us/entry |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        var medians = new Dictionary<string, (double Rate, double Cpu)>();
        foreach (var (mode, _, _) in o.Servers)
        {
            var runs = measurements.Where(m => m.Mode == mode).ToList();
            var rate = Stats.Median(runs.Select(m => m.Load.EntriesPerSecond));
            var cpu = Stats.Median(runs.Select(m => m.ServerMicrosPerEntry));
            medians[mode] = (rate, cpu);
            text.AppendLine(string.Create(ci, $"| {mode} | {rate:N0} | {cpu:F2} | {Stats.Median(runs.Select(m => m.ServerCores)):F2} | {Stats.Median(runs.Select(m => m.ClientMicrosPerEntry)):F2} |"));
        }

        if (medians.TryGetValue("discard", out var floor))
        {
            text.AppendLine();
            foreach (var mode in o.Modes.Where(m => m != "discard"))
            {
                var x = medians[mode];

                // Per-round ratios show how much of the median ratio is noise.
                var perRound = measurements.Where(m => m.Mode == mode)
                    .Join(measurements.Where(m => m.Mode == "discard"), m => m.Round, m => m.Round, (m, d) => (m.ServerMicrosPerEntry / d.ServerMicrosPerEntry).ToString("F2", ci));
                text.AppendLine(string.Create(ci, $"{mode}/discard: server CPU per entry x{x.Cpu / floor.Cpu:F2} (ingest adds {x.Cpu - floor.Cpu:F2} us/entry to the {floor.Cpu:F2} us/entry transport floor; per round {string.Join(", ", perRound)}); throughput x{x.Rate / floor.Rate:F2}"));
            }
        }

        // Two modes of one ingest mode that differ in a setting (analyze:IstioMetricsEnabled=false,analyze): the second against the first, on each build.
        var pairs = new List<(string First, string Second)>();
        if (o.Modes.Count == 2 && ServerProcess.IngestModeOf(o.Modes[0]) == ServerProcess.IngestModeOf(o.Modes[1]))
        {
            pairs.Add((o.Modes[0], o.Modes[1]));
            if (o.BaseServerDll is not null)
            {
                pairs.Add((E2eOptions.BaseLabel(o.Modes[0]), E2eOptions.BaseLabel(o.Modes[1])));
            }
        }

        // With a base build: each mode against its base.
        if (o.BaseServerDll is not null)
        {
            pairs.AddRange(o.Modes.Select(m => (E2eOptions.BaseLabel(m), m)));
        }

        if (pairs.Count > 0)
        {
            text.AppendLine();
        }

        foreach (var (first, second) in pairs)
        {
            var perRound = measurements.Where(m => m.Mode == second)
                .Join(measurements.Where(m => m.Mode == first), m => m.Round, m => m.Round, (b, a) => b.ServerMicrosPerEntry / a.ServerMicrosPerEntry)
                .ToList();
            text.AppendLine(string.Create(ci, $"{second} / {first}: server CPU per entry x{medians[second].Cpu / medians[first].Cpu:F3} (ratio of the medians), x{Stats.Median(perRound):F3} (median of per-round ratios: {string.Join(", ", perRound.Select(r => r.ToString("F3", ci)))}); throughput x{medians[second].Rate / medians[first].Rate:F3}"));
        }

        if (medians.TryGetValue("analyze", out var shipped) && medians.TryGetValue("reference", out var reference))
        {
            text.AppendLine(string.Create(ci, $"analyze/reference: server CPU per entry x{shipped.Cpu / reference.Cpu:F2}, throughput x{shipped.Rate / reference.Rate:F2}"));
        }

        return text.ToString();
    }
}
