using AlsAnalyzer.Benchmarks.Corpus;

namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>What one client stream sends: its identifier message once, then its steady messages round and round.</summary>
internal sealed record LoadScript(byte[] First, int FirstEntries, byte[][] Steady, int[] SteadyEntries)
{
    public static LoadScript From(CorpusStream stream)
    {
        var steady = stream.Steady.ToList();
        return new LoadScript(stream.First.Payload, stream.First.Entries, [.. steady.Select(m => m.Payload)], [.. steady.Select(m => m.Entries)]);
    }
}
