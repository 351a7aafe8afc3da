using System.Globalization;
using Envoy.Service.Accesslog.V3;

namespace AlsAnalyzer.Benchmarks.Corpus;

/// <summary>Sizes of a corpus, checked by parsing every message back.</summary>
internal sealed record CorpusStats(
    string Name,
    int Streams,
    int Messages,
    long Entries,
    long PayloadBytes,
    int IdentifierMessageBytes,
    int MedianMessageBytes,
    int MaxMessageBytes,
    double BytesPerEntry,
    double PeerMetadataShare)
{
    public static CorpusStats Of(AccessLogCorpus corpus)
    {
        long entries = 0, bytes = 0, filterStateBytes = 0;
        var sizes = new List<int>();
        foreach (var m in corpus.Messages)
        {
            var parsed = StreamAccessLogsMessage.Parser.ParseFrom(m.Payload);
            if (parsed.HttpLogs.LogEntry.Count != m.Entries || (parsed.Identifier is not null) != m.HasIdentifier)
            {
                throw new InvalidDataException("a corpus message does not parse back to what was generated");
            }

            foreach (var e in parsed.HttpLogs.LogEntry)
            {
                foreach (var (k, v) in e.CommonProperties.FilterStateObjects)
                {
                    filterStateBytes += k.Length + v.CalculateSize() + 4;
                }
            }

            entries += m.Entries;
            bytes += m.Payload.Length;
            if (!m.HasIdentifier)
            {
                sizes.Add(m.Payload.Length);
            }
        }

        sizes.Sort();
        var steadyBytes = sizes.Sum(s => (long)s);
        var steadyEntries = entries - corpus.Streams.Sum(s => (long)s.First.Entries);
        return new CorpusStats(
            corpus.Kind.Name(),
            corpus.Streams.Count,
            corpus.Streams.Sum(s => s.Messages.Count),
            entries,
            bytes,
            (int)corpus.Streams.Average(s => s.First.Payload.Length),
            sizes.Count > 0 ? sizes[sizes.Count / 2] : 0,
            sizes.Count > 0 ? sizes[^1] : 0,
            steadyEntries > 0 ? (double)steadyBytes / steadyEntries : (double)bytes / entries,
            bytes > 0 ? (double)filterStateBytes / bytes : 0);
    }

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Name}: {Streams} streams, {Messages} messages, {Entries} entries, {PayloadBytes} payload bytes; " +
        $"{BytesPerEntry:F0} B/entry (steady messages), median message {MedianMessageBytes} B (max {MaxMessageBytes} B), " +
        $"first message (identifier + entries) {IdentifierMessageBytes} B (avg), filter state {PeerMetadataShare:P0} of the bytes");
}
