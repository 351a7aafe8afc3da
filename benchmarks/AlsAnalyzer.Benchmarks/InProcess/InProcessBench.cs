using AlsAnalyzer.Benchmarks.Cli;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// Runs one BenchmarkDotNet class in process with its own job, or the smoke job with
/// <c>--smoke</c>; exits 1 if a benchmark failed. In process (no generated project to build):
/// what matters to these commands is the ratio of cases measured in one process, not absolute times.
/// </summary>
internal static class InProcessBench
{
    public static int Run<T>(CliArgs args, Job job)
    {
        var smoke = args.Flag("smoke");
        args.RejectUnknown();
        var config = smoke
            ? (IConfig)new AlsBenchmarkConfig(smoke: true)
            : ManualConfig.CreateMinimumViable().AddDiagnoser(MemoryDiagnoser.Default).AddJob(job);
        var summary = BenchmarkRunner.Run<T>(config);
        var failed = summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success);
        return failed ? 1 : 0;
    }
}
