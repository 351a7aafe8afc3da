using AlsAnalyzer.Core.Ingest;
using System.Diagnostics;
using System.Globalization;
using AlsAnalyzer.Benchmarks.Cli;
using AlsAnalyzer.Benchmarks.Corpus;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// <c>spin --variant pipeline:analyze --corpus istio-mx --seconds 20</c>: runs one in-process variant
/// in a loop and prints ns per entry (wall, then the process's CPU) every second. A steady
/// process to attach a profiler to, e.g. <c>perf record -g -p PID</c> with
/// <c>DOTNET_PerfMapEnabled=1</c>, and the worker of <c>alternate --processes</c>.
/// </summary>
internal static class SpinCommand
{
    public static int Run(CliArgs args)
    {
        var variant = args.String("variant", IngestVariants.PipelinePrefix + IngestOptions.Analyze);
        var corpus = args.String("corpus", CorpusKinds.IstioMxName);
        var seconds = args.Double("seconds", 20);
        args.RejectUnknown();
        return Run(variant, corpus, seconds);
    }

    public static int Run(string variant, string corpus, double seconds)
    {
        var runner = IngestVariants.Create(variant, BenchCorpus.Get(corpus));
        Console.WriteLine($"{variant} {corpus}: {runner.Verify()} (pid {Environment.ProcessId})");
        var total = Stopwatch.StartNew();
        var process = Process.GetCurrentProcess();
        while (total.Elapsed.TotalSeconds < seconds)
        {
            process.Refresh();
            var cpuStart = process.TotalProcessorTime;
            var lap = Stopwatch.StartNew();
            long entries = 0;
            while (lap.ElapsedMilliseconds < 1000)
            {
                // Every runner processes one batch of entries per call; what RunBatch returns
                // differs (a scan returns the tags it read), so count the batch, not the result.
                runner.RunBatch();
                entries += BenchCorpus.EntriesPerBatch;
            }

            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpuStart).TotalNanoseconds / entries;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{lap.Elapsed.TotalNanoseconds / entries:F1} ns/entry, CPU {cpu:F1} ns/entry"));
        }

        return 0;
    }
}
