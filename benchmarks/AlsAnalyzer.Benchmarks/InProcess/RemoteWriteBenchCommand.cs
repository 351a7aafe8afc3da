using AlsAnalyzer.Benchmarks.Cli;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// <c>remote-write-bench [--smoke]</c>: runs <see cref="RemoteWriteBenchmarks"/> in process; what
/// matters is the ratio of the two encodings of one push. One push takes seconds through the
/// object model, so each iteration is one push, with the server's GC.
/// </summary>
internal static class RemoteWriteBenchCommand
{
    public static int Run(CliArgs args) =>
        InProcessBench.Run<RemoteWriteBenchmarks>(args, Job.Default
            .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(15), logOutput: true))
            .WithGcServer(true)
            .WithInvocationCount(1).WithUnrollFactor(1).WithWarmupCount(1).WithIterationCount(7)
            .WithId("in-process, server GC"));
}
