using AlsAnalyzer.Core.Analysis;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// The minute buckets one shard gathered between two collects. Plain, unsynchronised state:
/// <see cref="AggregationShard"/>'s protocol guarantees that exactly one thread touches a
/// buffer at a time - the writer that claimed the shard, and once the buffer is retired and
/// its last writer has left, the collector that folds it.
/// </summary>
/// <remarks>Its buckets share one byte budget (<paramref name="capBytes"/>): a collect interval's
/// burst of distinct keys over many minutes is bounded as a whole.</remarks>
internal sealed class ShardBuffer(AggregationOptions limits, IShardTable? table = null, SampleStore? samples = null, long capBytes = long.MaxValue) : ISideSink
{
    private readonly SeriesBudget _budget = new(capBytes);

    // The bucket of the last record: entries of a message mostly fall in one minute.
    private long _lastMinute;
    private MinuteBucket? _lastBucket;

    public Dictionary<long, MinuteBucket> Buckets { get; } = [];

    /// <summary>Another subsystem's table kept with this buffer (see <see cref="IShardTables"/>), if any.</summary>
    public IShardTable? Table { get; } = table;

    /// <summary>Sample candidates, made on the first record offered.</summary>
    public SampleCapture? Samples { get; private set; }

    /// <summary>The entry just analysed left a sample candidate waiting for its bytes (<see cref="AttachSample"/>).</summary>
    public bool PendingSample { get; private set; }

    public void Record(in SideRecord record)
    {
        var bucket = _lastBucket;
        if (bucket is null || _lastMinute != record.Minute)
        {
            if (!Buckets.TryGetValue(record.Minute, out bucket))
            {
                bucket = new MinuteBucket(limits, _budget, tableMemos: Table is not null);
                Buckets.Add(record.Minute, bucket);
            }

            _lastMinute = record.Minute;
            _lastBucket = bucket;
        }

        var edge = bucket.Record(record);
        Table?.Record(record, edge);

        // Two compares per record; only failing calls and calls slower than the edge's kept ones go further.
        if ((record.LatencyMicros > edge.SampleFloor || (record.Error && !edge.SampleErrorsFull)) && samples is not null)
        {
            PendingSample |= (Samples ??= new SampleCapture(samples)).Offer(edge, record);
        }
    }

    /// <summary>Gives the entry's bytes to the candidates its records left (rare: call only when <see cref="PendingSample"/>).</summary>
    public void AttachSample(ReadOnlySpan<byte> entry)
    {
        Samples?.Attach(entry);
        PendingSample = false;
    }
}
