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
/// </summary>
internal static class AlternateCommand
{
    public static int Run(CliArgs args)
    {
        var variants = args.String("variants", "pipeline:analyze," + IngestVariants.PipelineAnalyzeIstio).Split(',', StringSplitOptions.TrimEntries);
        var corpus = args.String("corpus", CorpusKinds.IstioMxName);
        var rounds = args.Int("rounds", 40);
        var batches = args.Int("batches", 20);
        args.RejectUnknown();
        if (variants.Length != 2)
        {
            throw new ArgumentException("--variants takes exactly two variants");
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
}
