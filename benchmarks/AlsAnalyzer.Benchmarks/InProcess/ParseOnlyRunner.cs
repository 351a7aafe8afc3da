using AlsAnalyzer.Benchmarks.Corpus;
using Envoy.Service.Accesslog.V3;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>Only the generated-object parse of each message: the share of the naive and reference cost that is parsing.</summary>
internal sealed class ParseOnlyRunner(AccessLogCorpus corpus) : IBatchRunner
{
    private readonly byte[][] _payloads = corpus.Streams.SelectMany(s => s.Steady).Select(m => m.Payload).ToArray();

    public long RunBatch()
    {
        long entries = 0;
        foreach (var payload in _payloads)
        {
            entries += StreamAccessLogsMessage.Parser.ParseFrom(payload).HttpLogs.LogEntry.Count;
        }

        return entries;
    }

    public string Verify()
    {
        var entries = RunBatch();
        return entries == BenchCorpus.EntriesPerBatch
            ? $"{entries} entries parsed"
            : throw new InvalidOperationException($"parse-only: {entries} entries, expected {BenchCorpus.EntriesPerBatch}");
    }
}
