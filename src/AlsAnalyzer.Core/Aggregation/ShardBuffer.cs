using AlsAnalyzer.Core.Analysis;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// The minute buckets one shard gathered between two collects. Plain, unsynchronised state:
/// <see cref="AggregationShard"/>'s protocol guarantees that exactly one thread touches a
/// buffer at a time - the writer that claimed the shard, and once the buffer is retired and
/// its last writer has left, the collector that folds it.
/// </summary>
internal sealed class ShardBuffer(AggregationOptions limits, IShardTable? table = null) : ISideSink
{
    // The bucket of the last record: entries of a message mostly fall in one minute.
    private long _lastMinute;
    private MinuteBucket? _lastBucket;

    public Dictionary<long, MinuteBucket> Buckets { get; } = [];

    /// <summary>Another subsystem's table kept with this buffer (see <see cref="IShardTables"/>), if any.</summary>
    public IShardTable? Table { get; } = table;

    public void Record(in SideRecord record)
    {
        var bucket = _lastBucket;
        if (bucket is null || _lastMinute != record.Minute)
        {
            if (!Buckets.TryGetValue(record.Minute, out bucket))
            {
                bucket = new MinuteBucket(limits);
                Buckets.Add(record.Minute, bucket);
            }

            _lastMinute = record.Minute;
            _lastBucket = bucket;
        }

        bucket.Record(record);
        Table?.Record(record);
    }
}
