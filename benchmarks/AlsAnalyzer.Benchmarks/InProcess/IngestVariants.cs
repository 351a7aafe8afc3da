using AlsAnalyzer.Benchmarks.Corpus;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>The variants measured side by side, by name.</summary>
internal static class IngestVariants
{
    public const string ScanEntries = "scan-entries";
    public const string ScanDeep = "scan-deep";
    public const string ParseOnly = "parse-only";
    public const string Naive = "naive";
    public const string DecodeOnly = "decode-only";
    public const string PipelinePrefix = "pipeline:";

    /// <summary>A pipeline whose aggregation also keeps the Istio series' per-shard tables (export on).</summary>
    public const string IstioSuffix = "+istio";
    public const string PipelineAnalyzeIstio = PipelinePrefix + Core.Ingest.IngestOptions.Analyze + IstioSuffix;

    /// <summary>The floor the ratios are taken against.</summary>
    public const string Floor = ScanDeep;

    public static IReadOnlyList<string> Names =>
        [ScanEntries, ScanDeep, ParseOnly, Naive, DecodeOnly, .. PipelineRegistry.Names.Select(n => PipelinePrefix + n), PipelineAnalyzeIstio];

    public static IBatchRunner Create(string variant, AccessLogCorpus corpus) => variant switch
    {
        ScanEntries => new ScanRunner(corpus, deep: false),
        ScanDeep => new ScanRunner(corpus, deep: true),
        ParseOnly => new ParseOnlyRunner(corpus),
        Naive => new NaiveRunner(corpus),
        DecodeOnly => new DecodeOnlyRunner(corpus),
        _ when variant.StartsWith(PipelinePrefix, StringComparison.Ordinal) => new PipelineRunner(variant[PipelinePrefix.Length..], corpus),
        _ => throw new ArgumentException($"unknown variant '{variant}' (known: {string.Join(", ", Names)})", nameof(variant)),
    };
}
