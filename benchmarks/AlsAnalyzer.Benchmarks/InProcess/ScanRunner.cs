using AlsAnalyzer.Benchmarks.Corpus;
using Envoy.Service.Accesslog.V3;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// The floor: <see cref="ProtoScanner"/> over the same bytes. <c>scan-entries</c> reads the
/// message's tags and its entries' tags (enough to count entries); <c>scan-deep</c> reads every
/// tag of every nested message.
/// </summary>
internal sealed class ScanRunner(AccessLogCorpus corpus, bool deep) : IBatchRunner
{
    private static readonly ScanSchema Schema = ScanSchema.For(StreamAccessLogsMessage.Descriptor);

    private readonly byte[][] _payloads = corpus.Streams.SelectMany(s => s.Steady).Select(m => m.Payload).ToArray();

    public long RunBatch()
    {
        long result = 0;
        foreach (var payload in _payloads)
        {
            result += deep ? ProtoScanner.ScanDeep(payload, Schema) : ProtoScanner.CountEntries(payload);
        }

        return result;
    }

    public string Verify()
    {
        long entries = 0;
        foreach (var payload in _payloads)
        {
            entries += ProtoScanner.CountEntries(payload);
        }

        if (entries != BenchCorpus.EntriesPerBatch)
        {
            throw new InvalidOperationException($"scan: {entries} entries, expected {BenchCorpus.EntriesPerBatch}");
        }

        return deep ? $"{RunBatch()} tags read ({RunBatch() / (double)entries:F0} per entry)" : $"{entries} entries counted";
    }
}
