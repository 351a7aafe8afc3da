using AlsAnalyzer.Core.Analysis;

namespace AlsAnalyzer.Core.Tests.Support;

/// <summary>Collects side records in order, so a test can assert on exactly what an entry produced.</summary>
internal sealed class ListSink : ISideSink
{
    public List<SideRecord> Records { get; } = [];

    public void Record(in SideRecord record) => Records.Add(record);
}
