using AlsAnalyzer.Core.Analysis;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// A private buffer of minute buckets. Ingest takes one shard (by the current processor) and
/// holds its lock for a whole message; the collector takes the lock only to swap the buffer
/// out. With twice as many shards as cores the lock is almost never contended, and no
/// ingest path shares a lock or a cache line with another.
/// </summary>
internal sealed class AggregationShard(AggregationOptions limits) : ISideSink
{
    private Dictionary<long, MinuteBucket> _buckets = [];

    // The bucket of the last record: entries of a message mostly fall in one minute.
    private long _lastMinute;
    private MinuteBucket? _lastBucket;

    public object Sync { get; } = new();

    /// <summary>Caller holds <see cref="Sync"/>.</summary>
    public void Record(in SideRecord record)
    {
        var bucket = _lastBucket;
        if (bucket is null || _lastMinute != record.Minute)
        {
            if (!_buckets.TryGetValue(record.Minute, out bucket))
            {
                bucket = new MinuteBucket(limits);
                _buckets.Add(record.Minute, bucket);
            }

            _lastMinute = record.Minute;
            _lastBucket = bucket;
        }

        bucket.Record(record);
    }

    /// <summary>Takes the buffered buckets, leaving an empty buffer. Takes <see cref="Sync"/> itself.</summary>
    public Dictionary<long, MinuteBucket>? Swap()
    {
        lock (Sync)
        {
            if (_buckets.Count == 0)
            {
                return null;
            }

            var taken = _buckets;
            _buckets = [];
            _lastBucket = null;
            return taken;
        }
    }
}
