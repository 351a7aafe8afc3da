using AlsAnalyzer.Core.Ingest;
using System.Globalization;
using System.Text;
using AlsAnalyzer.Benchmarks.Cli;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// <c>bench [--smoke] [-- BenchmarkDotNet args]</c>: runs <see cref="IngestBenchmarks"/>, then
/// prints per corpus the median ns and bytes per entry of every variant and its ratio to the
/// floor, to the naive baseline and to the reference pipeline. Exits 1 if a benchmark failed.
/// Beside the median over all launches it gives the best launch's median: on a shared machine a
/// whole process can run a third slower than the next (other tenants, where its memory landed),
/// and such noise only ever adds time, so the fastest launch is the better estimate of what the
/// code costs; ratios are given for both.
/// </summary>
internal static class BenchCommand
{
    public static int Run(CliArgs args)
    {
        var smoke = args.Flag("smoke");
        if (args.String("variants") is { } variants)
        {
            // Side-by-side runs of two builds only need the variants being compared and the floor.
            IngestBenchmarks.Only = variants.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = IngestBenchmarks.Only.Except(IngestVariants.Names).ToList();
            if (unknown.Count > 0)
            {
                throw new ArgumentException($"--variants names unknown variants: {string.Join(", ", unknown)} (known: {string.Join(", ", IngestVariants.Names)})");
            }
        }

        args.RejectUnknown();
        return Run(smoke, args.PassThrough);
    }

    public static int Run(bool smoke, IReadOnlyList<string> benchmarkDotNetArgs)
    {
        string[] bdnArgs = benchmarkDotNetArgs.Count > 0 ? [.. benchmarkDotNetArgs] : ["--filter", "*"];
        var summaries = BenchmarkSwitcher.FromTypes([typeof(IngestBenchmarks)]).Run(bdnArgs, new AlsBenchmarkConfig(smoke)).ToList();
        var failures = new List<string>();
        if (summaries.Count == 0)
        {
            failures.Add("no benchmark ran (check the --filter)");
        }

        foreach (var summary in summaries)
        {
            if (summary.HasCriticalValidationErrors)
            {
                failures.Add($"{summary.Title}: critical validation errors");
            }

            foreach (var benchmark in summary.BenchmarksCases)
            {
                var report = summary[benchmark];
                if (report is null || !report.Success || report.ResultStatistics is null)
                {
                    failures.Add($"{benchmark.DisplayInfo}: failed");
                }
            }

            var table = RatioTable(summary, smoke);
            Console.WriteLine();
            Console.WriteLine(table);
            var directory = summary.ResultsDirectoryPath;
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, smoke ? "ingest-ratios-smoke.md" : "ingest-ratios.md"), table);
        }

        foreach (var failure in failures)
        {
            Console.Error.WriteLine("FAILED: " + failure);
        }

        return failures.Count == 0 ? 0 : 1;
    }

    private static string RatioTable(Summary summary, bool smoke)
    {
        var rows = summary.Reports
            .Where(r => r.Success && r.ResultStatistics is not null)
            .Select(r => (Report: r, Launches: LaunchMedians(r)))
            .Select(x => (
                Corpus: (string)x.Report.BenchmarkCase.Parameters["Corpus"],
                Variant: (string)x.Report.BenchmarkCase.Parameters["Variant"],
                Median: x.Report.ResultStatistics!.Median,
                Best: x.Launches.Count > 0 ? x.Launches.Min() : x.Report.ResultStatistics!.Median,
                Launches: x.Launches.Count,
                Allocated: x.Report.GcStats.GetBytesAllocatedPerOperation(x.Report.BenchmarkCase) ?? 0))
            .ToList();
        var text = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        text.AppendLine(smoke
            ? "Per-entry medians (SMOKE: one cold invocation, not a measurement):"
            : "Per-entry medians, measured side by side in this run:");
        text.AppendLine();
        text.AppendLine("| corpus | variant | median ns/entry | allocated B/entry | x floor (scan-deep) | x naive | x pipeline:reference | best launch's median ns/entry (launches) | x floor, best launches | x pipeline:reference, best launches |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var corpus in rows.Select(r => r.Corpus).Distinct())
        {
            var group = rows.Where(r => r.Corpus == corpus).ToList();
            double? Of(string variant, bool best = false) => group.Where(r => r.Variant == variant).Select(r => (double?)(best ? r.Best : r.Median)).FirstOrDefault();
            var floor = Of(IngestVariants.Floor);
            var naive = Of(IngestVariants.Naive);
            var reference = Of(IngestVariants.PipelinePrefix + IngestOptions.Reference);
            var bestFloor = Of(IngestVariants.Floor, best: true);
            var bestReference = Of(IngestVariants.PipelinePrefix + IngestOptions.Reference, best: true);
            foreach (var variant in IngestVariants.Names)
            {
                var row = group.FirstOrDefault(r => r.Variant == variant);
                if (row.Variant is null)
                {
                    continue;
                }

                text.AppendLine(string.Create(
                    ci,
                    $"| {corpus} | {variant} | {row.Median:F1} | {row.Allocated:N0} | {Ratio(row.Median, floor)} | {Ratio(row.Median, naive)} | {Ratio(row.Median, reference)} | {row.Best:F1} ({row.Launches}) | {Ratio(row.Best, bestFloor)} | {Ratio(row.Best, bestReference)} |"));
            }
        }

        return text.ToString();
    }

    /// <summary>The median ns per operation of each launch's measured iterations.</summary>
    private static List<double> LaunchMedians(BenchmarkReport report) =>
        report.AllMeasurements
            .Where(m => m.IterationMode == IterationMode.Workload && m.IterationStage == IterationStage.Actual && m.Operations > 0)
            .GroupBy(m => m.LaunchIndex)
            .Select(g => Stats.Median(g.Select(m => m.Nanoseconds / m.Operations)))
            .ToList();

    private static string Ratio(double value, double? baseline) =>
        baseline is > 0 ? (value / baseline.Value).ToString("F2", CultureInfo.InvariantCulture) : "-";
}
