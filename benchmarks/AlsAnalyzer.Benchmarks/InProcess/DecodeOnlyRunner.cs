using AlsAnalyzer.Benchmarks.Corpus;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Ingest;
using F = AlsAnalyzer.Core.Decoding.WireFields;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// Only the shipped decoder: each entry's facts read from the payload bytes (interning, cached
/// peers and cluster names included) and nothing analysed or aggregated. Beside the floor and
/// <c>pipeline:analyze</c>, it splits the pipeline's cost into decoding and the rest.
/// </summary>
internal sealed class DecodeOnlyRunner : IBatchRunner
{
    private readonly byte[][] _payloads;
    private readonly FastEntryDecoder _decoder;
    private readonly bool _decodePeers;

    // A field, as the pipeline's facts live in an array: the decode cannot be dropped, and
    // storing the facts costs what it costs there.
    private EntryFacts _facts;

    public DecodeOnlyRunner(AccessLogCorpus corpus)
    {
        _payloads = [.. corpus.Streams.SelectMany(s => s.Steady).Select(m => m.Payload)];
        var limits = new DecodingOptions();
        _decoder = new FastEntryDecoder(
            new InternTable(limits.MaxInternedStrings),
            new EndpointTable(limits.MaxInternedEndpoints),
            new ByteKeyTable<ParsedCluster>(limits.MaxInternedStrings),
            new PeerCache(limits.MaxCachedPeers));
        _decodePeers = new EntryAnalyzer(BenchCorpus.Settings(corpus)).DecodeHttpPeers;
    }

    public long RunBatch()
    {
        long entries = 0;
        foreach (var payload in _payloads)
        {
            var message = new ProtoReader(payload);
            while (message.NextField(out var f, out var w))
            {
                if (f != F.StreamAccessLogsMessage.HttpLogs || w != F.WireLength)
                {
                    message.Skip(w, f);
                    continue;
                }

                var list = new ProtoReader(message.Bytes());
                while (list.NextField(out var lf, out var lw))
                {
                    if (lf != F.StreamAccessLogsMessage.LogEntry || lw != F.WireLength)
                    {
                        list.Skip(lw, lf);
                        continue;
                    }

                    if (!_decoder.DecodeHttp(list.Bytes(), _decodePeers, out _facts))
                    {
                        throw new InvalidOperationException("decode-only: an entry of the corpus does not decode");
                    }

                    entries++;
                }
            }
        }

        return entries;
    }

    public string Verify()
    {
        var entries = RunBatch();
        return entries == BenchCorpus.EntriesPerBatch
            ? $"{entries} entries decoded"
            : throw new InvalidOperationException($"decode-only: {entries} entries, expected {BenchCorpus.EntriesPerBatch}");
    }
}
