namespace AlsAnalyzer.Benchmarks.Corpus;

/// <summary>A generated corpus: one <see cref="CorpusStream"/> per reporting sidecar.</summary>
internal sealed class AccessLogCorpus
{
    public required CorpusOptions Options { get; init; }

    public required Mesh Mesh { get; init; }

    public required IReadOnlyList<CorpusStream> Streams { get; init; }

    public CorpusKind Kind => Options.Kind;

    public IEnumerable<CorpusMessage> Messages => Streams.SelectMany(s => s.Messages);

    public long Entries => Streams.Sum(s => s.Entries);

    public long PayloadBytes => Messages.Sum(m => (long)m.Payload.Length);
}
