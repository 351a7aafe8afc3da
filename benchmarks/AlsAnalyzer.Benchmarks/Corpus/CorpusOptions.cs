namespace AlsAnalyzer.Benchmarks.Corpus;

/// <summary>What to generate. The same seed gives the same bytes (for the same start time).</summary>
internal sealed record CorpusOptions
{
    public const int DefaultSeed = 20261123;

    /// <summary>The fixed corpus time of the in-process benchmarks and of <c>corpus</c> without <c>--start</c>.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    public CorpusKind Kind { get; init; } = CorpusKind.IstioMx;

    public int Seed { get; init; } = DefaultSeed;

    /// <summary>Reporting sidecars, one access log stream each.</summary>
    public int Streams { get; init; } = 64;

    /// <summary>Messages per stream, the first one carrying the identifier.</summary>
    public int MessagesPerStream { get; init; } = 16;

    public int EntriesPerMessage { get; init; } = 50;

    /// <summary>Start time of the first entry; entries spread over <see cref="SpanSeconds"/>.</summary>
    public DateTimeOffset Start { get; init; } = DefaultStart;

    public int SpanSeconds { get; init; } = 90;
}
