using AlsAnalyzer.Benchmarks.Cli;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// <c>peer-bench [--smoke]</c>: runs <see cref="PeerMetadataBenchmarks"/>; exits 1 if one failed.
/// In process (no generated project to build): what matters here is the ratio of the crafted
/// cases to a normal entry, measured in one process, not absolute times.
/// </summary>
internal static class PeerBenchCommand
{
    public static int Run(CliArgs args)
    {
        var smoke = args.Flag("smoke");
        args.RejectUnknown();
        var config = smoke
            ? (IConfig)new AlsBenchmarkConfig(smoke: true)
            : ManualConfig.CreateMinimumViable()
                .AddDiagnoser(MemoryDiagnoser.Default)
                .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(4).WithIterationCount(15).WithId("in-process"));
        var summary = BenchmarkRunner.Run<PeerMetadataBenchmarks>(config);
        var failed = summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success);
        return failed ? 1 : 0;
    }
}
