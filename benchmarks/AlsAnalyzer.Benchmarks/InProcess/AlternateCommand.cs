using System.Diagnostics;
using System.Globalization;
using AlsAnalyzer.Benchmarks.Cli;
using AlsAnalyzer.Benchmarks.Corpus;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// <c>alternate --variants A,B --corpus istio-mx --rounds 40 --batches 20</c>: two in-process
/// variants in one process, measured in alternation (A B, then B A, ...) so that a shared
/// machine's drifting load falls on both alike; per round the process CPU time and wall time
/// per entry of each. Prints each variant's median and the median of the per-round ratios B/A.
/// A complement to <c>bench</c> when the machine is too loaded for its absolute figures.
/// <para>With <c>--processes N [--seconds 9 --warmup 3]</c>, each variant runs in a process of
/// its own, as a server runs one configuration: the JIT then compiles each for its own profile,
/// which one shared process cannot show. N processes per variant, started alternately (A B,
/// then B A, ...), each a <c>spin</c> whose per-second CPU figures after the warm-up give its
/// median; printed: each variant's median over its processes and the median of the per-pair
/// ratios. A process's figure moves by up to half from launch to launch on a shared machine
/// (benchmarks/README.md, stops 15 and 16), hence several processes rather than one long one.</para>
/// </summary>
internal static class AlternateCommand
{
    public static int Run(CliArgs args)
    {
        var variants = args.String("variants", "pipeline:analyze," + IngestVariants.PipelineAnalyzeIstio).Split(',', StringSplitOptions.TrimEntries);
        var corpus = args.String("corpus", CorpusKinds.IstioMxName);
        var rounds = args.Int("rounds", 40);
        var batches = args.Int("batches", 20);
        var processes = args.Int("processes", 0);
        var seconds = args.Int("seconds", 9);
        var warmup = args.Int("warmup", 3);
        args.RejectUnknown();
        if (variants.Length != 2)
        {
            throw new ArgumentException("--variants takes exactly two variants");
        }

        if (processes > 0)
        {
            return RunProcesses(variants, corpus, processes, seconds, warmup);
        }

        var runners = variants.Select(v => IngestVariants.Create(v, BenchCorpus.Get(corpus))).ToArray();
        foreach (var (runner, name) in runners.Zip(variants))
        {
            Console.WriteLine($"{name} {corpus}: {runner.Verify()}");
            for (var i = 0; i < batches * 3; i++)
            {
                runner.RunBatch();
            }
        }

        // Every runner's objects to the oldest generation before measuring: objects still young
        // make the runner that warmed up last pay for it in the GC's write barrier (a reference
        // stored into an old object that points to a young one marks a card), which showed as
        // the second of two identical variants running x1.07-1.2 slower.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);

        var cpu = new List<double>[] { [], [] };
        var wall = new List<double>[] { [], [] };
        var process = Process.GetCurrentProcess();
        for (var r = 0; r < rounds; r++)
        {
            for (var k = 0; k < 2; k++)
            {
                var v = (r % 2 == 0) ? k : 1 - k;
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                process.Refresh();
                var cpuStart = process.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                for (var b = 0; b < batches; b++)
                {
                    runners[v].RunBatch();
                }

                sw.Stop();
                process.Refresh();
                var entries = (double)batches * BenchCorpus.EntriesPerBatch;
                cpu[v].Add((process.TotalProcessorTime - cpuStart).TotalNanoseconds / entries);
                wall[v].Add(sw.Elapsed.TotalNanoseconds / entries);
                if (GC.GetAllocatedBytesForCurrentThread() - allocated > 0 && r == rounds - 1)
                {
                    Console.WriteLine($"{variants[v]}: {(GC.GetAllocatedBytesForCurrentThread() - allocated) / entries:F3} B/entry in the last round");
                }
            }
        }

        var ci = CultureInfo.InvariantCulture;
        static double Median(IEnumerable<double> xs)
        {
            var s = xs.Order().ToList();
            return s[s.Count / 2];
        }

        for (var v = 0; v < 2; v++)
        {
            Console.WriteLine(string.Create(ci, $"{variants[v]}: median CPU {Median(cpu[v]):F1} ns/entry, wall {Median(wall[v]):F1} ns/entry ({rounds} rounds of {batches * BenchCorpus.EntriesPerBatch} entries)"));
        }

        Console.WriteLine(string.Create(ci, $"{variants[1]} / {variants[0]}: CPU x{Median(cpu[1].Zip(cpu[0], (b, a) => b / a)):F3}, wall x{Median(wall[1].Zip(wall[0], (b, a) => b / a)):F3} (median of per-round ratios)"));
        return 0;
    }

    private static int RunProcesses(string[] variants, string corpus, int processes, int seconds, int warmup)
    {
        var ci = CultureInfo.InvariantCulture;
        var self = typeof(AlternateCommand).Assembly.Location;
        var medians = new List<double>[] { [], [] };

        // This process again: through the dotnet host with the assembly ('dotnet X.dll'), or as
        // its own apphost ('dotnet run' starts that one).
        var host = Environment.ProcessPath!;
        var viaDotnet = Path.GetFileNameWithoutExtension(host) == "dotnet";
        for (var p = 0; p < processes; p++)
        {
            for (var k = 0; k < 2; k++)
            {
                var v = (p % 2 == 0) ? k : 1 - k;
                var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
                string[] arguments = ["spin", "--variant", variants[v], "--corpus", corpus, "--seconds", (seconds + warmup).ToString(ci)];
                foreach (var a in viaDotnet ? [self, .. arguments] : arguments)
                {
                    start.ArgumentList.Add(a);
                }

                using var child = Process.Start(start)!;
                var cpu = new List<double>();
                while (child.StandardOutput.ReadLine() is { } line)
                {
                    // "W ns/entry, CPU C ns/entry", once a second.
                    var at = line.IndexOf("CPU ", StringComparison.Ordinal);
                    if (at >= 0)
                    {
                        cpu.Add(double.Parse(line.AsSpan(at + 4, line.IndexOf(' ', at + 4) - at - 4), ci));
                    }
                }

                child.WaitForExit();
                if (child.ExitCode != 0 || cpu.Count <= warmup)
                {
                    Console.Error.WriteLine($"{variants[v]}: the worker process exited with {child.ExitCode} after {cpu.Count} figures");
                    return 1;
                }

                var median = Stats.Median(cpu.Skip(warmup));
                medians[v].Add(median);
                Console.WriteLine(string.Create(ci, $"process {p + 1} {variants[v]}: median CPU {median:F1} ns/entry over {cpu.Count - warmup} s"));
            }
        }

        for (var v = 0; v < 2; v++)
        {
            Console.WriteLine(string.Create(ci, $"{variants[v]}: median CPU {Stats.Median(medians[v]):F1} ns/entry (medians of {processes} processes: {string.Join(", ", medians[v].Select(m => m.ToString("F1", ci)))})"));
        }

        Console.WriteLine(string.Create(ci, $"{variants[1]} / {variants[0]}: CPU x{Stats.Median(medians[1]) / Stats.Median(medians[0]):F3} (ratio of the medians), x{Stats.Median(medians[1].Zip(medians[0], (b, a) => b / a)):F3} (median of per-pair ratios), {processes} processes each"));
        return 0;
    }
}
