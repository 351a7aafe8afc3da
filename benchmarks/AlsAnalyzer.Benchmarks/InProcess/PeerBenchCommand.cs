using AlsAnalyzer.Benchmarks.Cli;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// <c>peer-bench [--smoke]</c>: runs <see cref="PeerMetadataBenchmarks"/> in process; what matters
/// is the ratio of the crafted cases to a normal entry.
/// </summary>
internal static class PeerBenchCommand
{
    public static int Run(CliArgs args) =>
        InProcessBench.Run<PeerMetadataBenchmarks>(args, Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(4).WithIterationCount(15).WithId("in-process"));
}
