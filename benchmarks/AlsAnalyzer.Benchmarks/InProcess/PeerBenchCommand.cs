using AlsAnalyzer.Benchmarks.Cli;
using BenchmarkDotNet.Running;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary><c>peer-bench [--smoke]</c>: runs <see cref="PeerMetadataBenchmarks"/>; exits 1 if one failed.</summary>
internal static class PeerBenchCommand
{
    public static int Run(CliArgs args)
    {
        var smoke = args.Flag("smoke");
        args.RejectUnknown();
        var summary = BenchmarkRunner.Run<PeerMetadataBenchmarks>(new AlsBenchmarkConfig(smoke));
        var failed = summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success);
        return failed ? 1 : 0;
    }
}
