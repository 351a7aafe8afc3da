using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Tests.Support;
using AlsAnalyzer.Testing;
using static AlsAnalyzer.Core.Tests.Analysis.EntryAnalyzerArrange;

namespace AlsAnalyzer.Core.Tests.Analysis;

/// <summary>What every EntryAnalyzer test class analyses with: a fresh analyzer, clock, tally, sink and connection state per test.</summary>
public abstract class EntryAnalyzerFixture
{
    internal EntryAnalyzer Analyzer { get; } = new(Settings());

    internal EntryClock Clock { get; } = new(TestMesh.Now, Settings());

    internal IngestTally Tally { get; } = new();

    internal ListSink Sink { get; } = new();

    internal TcpConnectionTracker Connections { get; } = new();
}
