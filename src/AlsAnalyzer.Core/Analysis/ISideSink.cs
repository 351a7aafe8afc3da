namespace AlsAnalyzer.Core.Analysis;

/// <summary>Where analysed side records go (an aggregation shard, or a test's list).</summary>
internal interface ISideSink
{
    void Record(in SideRecord record);
}
