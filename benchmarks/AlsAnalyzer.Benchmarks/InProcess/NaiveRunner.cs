using System.Globalization;
using AlsAnalyzer.Benchmarks.Corpus;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>The <see cref="NaiveCounter"/> baseline over the benchmark corpus.</summary>
internal sealed class NaiveRunner : IBatchRunner
{
    private readonly NaiveCounter _counter;
    private readonly (NaiveStreamState State, byte[][] Steady)[] _streams;

    public NaiveRunner(AccessLogCorpus corpus)
    {
        _counter = new NaiveCounter(MeshKubernetes.ServicesByIp(corpus.Mesh));
        _streams = new (NaiveStreamState, byte[][])[corpus.Streams.Count];
        for (var i = 0; i < _streams.Length; i++)
        {
            var state = new NaiveStreamState();
            _counter.Process(corpus.Streams[i].First.Payload, state);
            _streams[i] = (state, corpus.Streams[i].Steady.Select(m => m.Payload).ToArray());
        }
    }

    public long RunBatch()
    {
        long entries = 0;
        foreach (var (state, steady) in _streams)
        {
            foreach (var payload in steady)
            {
                entries += _counter.Process(payload, state);
            }
        }

        return entries;
    }

    public string Verify()
    {
        var before = _counter.Total;
        RunBatch();
        var counted = _counter.Total - before;
        if (counted != BenchCorpus.EntriesPerBatch)
        {
            throw new InvalidOperationException($"naive: counted {counted} requests, expected {BenchCorpus.EntriesPerBatch}");
        }

        return string.Create(CultureInfo.InvariantCulture, $"{counted} requests counted");
    }
}
