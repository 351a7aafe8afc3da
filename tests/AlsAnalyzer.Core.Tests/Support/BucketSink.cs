using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;

namespace AlsAnalyzer.Core.Tests.Support;

/// <summary>Feeds analysed records straight into one minute bucket, whatever their minute.</summary>
internal sealed class BucketSink(MinuteBucket bucket) : ISideSink
{
    public MinuteBucket Bucket { get; } = bucket;

    public void Record(in SideRecord record) => Bucket.Record(record);
}
