using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// The one configuration of every benchmark: MemoryDiagnoser, medians, nanoseconds. Full: three
/// out-of-process launches (a process's speed on this shared machine moves by up to a third from
/// one launch to the next), each 4 warm-up and 15 measured iterations; the median is over all 45.
/// Smoke: BenchmarkDotNet's Dry job in-process (one invocation, seconds), for CI; it proves the
/// benchmarks run, not their speed.
/// </summary>
public sealed class AlsBenchmarkConfig : ManualConfig
{
    public AlsBenchmarkConfig()
        : this(smoke: false)
    {
    }

    public AlsBenchmarkConfig(bool smoke)
    {
        AddDiagnoser(MemoryDiagnoser.Default);
        AddJob(smoke
            ? Job.Dry.WithToolchain(InProcessEmitToolchain.Instance).WithId("smoke")
            : Job.Default.WithLaunchCount(3).WithWarmupCount(4).WithIterationCount(15).WithId("full"));
        AddColumnProvider(DefaultColumnProviders.Instance);
        AddColumn(StatisticColumn.Median);
        AddLogger(ConsoleLogger.Default);
        AddExporter(MarkdownExporter.GitHub);
        WithSummaryStyle(SummaryStyle.Default.WithTimeUnit(TimeUnit.Nanosecond));
        WithOptions(ConfigOptions.DisableLogFile);
    }
}
