using System.Globalization;
using AlsAnalyzer.Benchmarks.Corpus;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Ingest;
using AlsAnalyzer.Core.IstioMetrics;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// An <see cref="IAccessLogPipeline"/> as the server drives it: one stream state per stream
/// (identifier messages processed in setup), one tally cleared after every message.
/// </summary>
internal sealed class PipelineRunner : IBatchRunner
{
    private readonly IAccessLogPipeline _pipeline;
    private readonly (AccessLogStreamState State, byte[][] Steady)[] _streams;
    private readonly IngestTally _tally = new();

    public PipelineRunner(string name, AccessLogCorpus corpus)
    {
        var analyzer = new EntryAnalyzer(BenchCorpus.Settings(corpus));
        var istio = name.EndsWith(IngestVariants.IstioSuffix, StringComparison.Ordinal);
        name = istio ? name[..^IngestVariants.IstioSuffix.Length] : name;

        // As the server runs it: with the per-edge sample reservoirs (and the Istio tables for the +istio variants).
        var aggregator = new Aggregator(
            new AggregationOptions(),
            tables: istio ? new IstioSeriesStore(new IstioMetricsOptions(), TimeProvider.System) : null,
            samples: new SampleStore(new SampleOptions(), new FixedTimeProvider(BenchCorpus.Now)));
        _pipeline = PipelineRegistry.Create(name, analyzer, aggregator, new FixedTimeProvider(BenchCorpus.Now));
        _streams = new (AccessLogStreamState, byte[][])[corpus.Streams.Count];
        for (var i = 0; i < _streams.Length; i++)
        {
            var stream = corpus.Streams[i];
            var state = new AccessLogStreamState();
            var result = _pipeline.Process(stream.First.Payload, state, _tally);
            if (result.Status != MessageStatus.Analyzed || state.Identity is null)
            {
                throw new InvalidOperationException($"pipeline {name}: identifier message of stream {i} gave {result.Status} {result.Error}");
            }

            _tally.Clear();
            _streams[i] = (state, stream.Steady.Select(m => m.Payload).ToArray());
        }
    }

    public long RunBatch()
    {
        long entries = 0;
        foreach (var (state, steady) in _streams)
        {
            foreach (var payload in steady)
            {
                entries += _pipeline.Process(payload, state, _tally).Entries;
                _tally.Clear();
            }
        }

        return entries;
    }

    public string Verify()
    {
        var tally = new IngestTally();
        foreach (var (state, steady) in _streams)
        {
            foreach (var payload in steady)
            {
                var result = _pipeline.Process(payload, state, tally);
                if (result.Status != MessageStatus.Analyzed)
                {
                    throw new InvalidOperationException($"a steady message gave {result.Status} {result.Error}");
                }
            }
        }

        const int Expected = BenchCorpus.EntriesPerBatch;
        if (tally.Received != Expected || tally.Analyzed + tally.Unattributed != Expected || tally.RejectedTotal != 0)
        {
            throw new InvalidOperationException(string.Create(
                CultureInfo.InvariantCulture,
                $"accounting: expected {Expected} entries analyzed or unattributed, got received {tally.Received}, analyzed {tally.Analyzed}, unattributed {tally.Unattributed}, rejected {tally.RejectedTotal}"));
        }

        return string.Create(
            CultureInfo.InvariantCulture,
            $"{Expected} entries: analyzed {tally.Analyzed}, unattributed {tally.Unattributed}, rejected 0, peer metadata errors {tally.PeerInvalid + tally.PeerUnknownType}");
    }
}
