using AlsAnalyzer.Benchmarks.Corpus;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Kubernetes;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// The corpus of the in-process benchmarks: <see cref="Streams"/> streams whose identifier
/// messages are processed in setup, and <see cref="SteadyMessagesPerStream"/> steady messages
/// each that every benchmark invocation processes (<see cref="EntriesPerBatch"/> entries).
/// </summary>
internal static class BenchCorpus
{
    public const int Streams = 32;
    public const int SteadyMessagesPerStream = 4;
    public const int EntriesPerMessage = 50;
    public const int EntriesPerBatch = Streams * SteadyMessagesPerStream * EntriesPerMessage;

    private static readonly Dictionary<string, AccessLogCorpus> Cache = [];

    /// <summary>The server clock of the benchmarks: a little after the corpus' last entry.</summary>
    public static DateTimeOffset Now => CorpusOptions.DefaultStart.AddMinutes(3);

    public static AccessLogCorpus Get(string name)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(name, out var corpus))
            {
                corpus = CorpusGenerator.Generate(new CorpusOptions
                {
                    Kind = CorpusKinds.Parse(name),
                    Streams = Streams,
                    MessagesPerStream = SteadyMessagesPerStream + 1,
                    EntriesPerMessage = EntriesPerMessage,
                    Start = CorpusOptions.DefaultStart,
                    SpanSeconds = 90,
                });
                Cache[name] = corpus;
            }

            return corpus;
        }
    }

    /// <summary>
    /// The analyzer chain a server runs for this corpus: mx-mesh for Istio's peer metadata
    /// (the default without Kubernetes), k8s-mesh then mx-mesh with the mesh's index for plain
    /// entries (the default with Kubernetes).
    /// </summary>
    public static AnalysisSettings Settings(AccessLogCorpus corpus)
    {
        if (corpus.Kind == CorpusKind.IstioMx)
        {
            return new AnalysisSettings();
        }

        var index = MeshKubernetes.BuildIndex(corpus.Mesh);
        IReadOnlyList<IPeerAnalyzer> chain = [new K8sMeshAnalyzer(() => index), new MxMeshAnalyzer()];
        return new AnalysisSettings { HttpAnalyzers = chain, TcpAnalyzers = chain };
    }
}
