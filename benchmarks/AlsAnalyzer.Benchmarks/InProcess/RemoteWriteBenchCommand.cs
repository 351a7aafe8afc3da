using AlsAnalyzer.Benchmarks.Cli;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// <c>remote-write-bench [--smoke]</c>: runs <see cref="RemoteWriteBenchmarks"/>; exits 1 if one failed.
/// In process (no generated project to build): what matters here is the ratio of the two
/// encodings of one push, measured in one process, not absolute times. One push takes seconds
/// through the object model, so each iteration is one push, with the server's GC.
/// </summary>
internal static class RemoteWriteBenchCommand
{
    public static int Run(CliArgs args)
    {
        var smoke = args.Flag("smoke");
        args.RejectUnknown();
        var config = smoke
            ? (IConfig)new AlsBenchmarkConfig(smoke: true)
            : ManualConfig.CreateMinimumViable()
                .AddDiagnoser(MemoryDiagnoser.Default)
                .AddJob(Job.Default
                    .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(15), logOutput: true))
                    .WithGcServer(true)
                    .WithInvocationCount(1).WithUnrollFactor(1).WithWarmupCount(1).WithIterationCount(7)
                    .WithId("in-process, server GC"));
        var summary = BenchmarkRunner.Run<RemoteWriteBenchmarks>(config);
        var failed = summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success);
        return failed ? 1 : 0;
    }
}
