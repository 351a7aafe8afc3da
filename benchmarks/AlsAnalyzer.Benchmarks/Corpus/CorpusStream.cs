namespace AlsAnalyzer.Benchmarks.Corpus;

/// <summary>What one sidecar sends on one stream: an identifier message, then steady messages.</summary>
internal sealed class CorpusStream
{
    public required MeshPod Reporter { get; init; }

    /// <summary>All messages in order; the first carries the identifier.</summary>
    public required IReadOnlyList<CorpusMessage> Messages { get; init; }

    public CorpusMessage First => Messages[0];

    /// <summary>The messages after the first: what a long-lived stream sends over and over.</summary>
    public IEnumerable<CorpusMessage> Steady => Messages.Skip(1);

    public long Entries => Messages.Sum(m => (long)m.Entries);
}
