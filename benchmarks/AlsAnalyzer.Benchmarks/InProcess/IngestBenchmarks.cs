using AlsAnalyzer.Benchmarks.Corpus;
using BenchmarkDotNet.Attributes;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// CPU time and bytes allocated per access log entry, in-process and without sockets: every
/// variant processes the same <see cref="BenchCorpus.EntriesPerBatch"/> entries per invocation,
/// so BenchmarkDotNet's per-operation figures are per entry. The work is single-threaded, so
/// elapsed time is CPU time.
/// </summary>
public class IngestBenchmarks
{
    private IBatchRunner? _runner;

    [Params(CorpusKinds.IstioMxName, CorpusKinds.K8sPlainName)]
    public string Corpus { get; set; } = CorpusKinds.IstioMxName;

    [ParamsSource(nameof(Variants))]
    public string Variant { get; set; } = IngestVariants.Floor;

    public static IEnumerable<string> Variants => Only ?? IngestVariants.Names;

    /// <summary>The variants <c>bench --variants</c> asked for (BenchmarkDotNet runs in this process), or null for all.</summary>
    internal static IReadOnlyList<string>? Only { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _runner = IngestVariants.Create(Variant, BenchCorpus.Get(Corpus));

        // Outside the timed region: one batch must do the whole work (no entry rejected).
        Console.WriteLine($"// verified {Corpus} {Variant}: {_runner.Verify()}");
    }

    [Benchmark(OperationsPerInvoke = BenchCorpus.EntriesPerBatch)]
    public long PerEntry() => _runner!.RunBatch();
}
