
namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// The minute ring and the ingest shards that feed it. Ingest writes to a shard; the
/// collector (a timer, and every query before it reads) folds the shards into the ring and
/// drops minutes older than the retention.
/// </summary>
internal sealed class Aggregator
{
    private readonly AggregationShard[] _shards;
    private readonly SortedDictionary<long, MinuteBucket> _minutes = [];
    private readonly Lock _storeLock = new();
    private readonly AggregationOptions _limits;
    private OverflowCounts _overflowTotal;

    public Aggregator(AggregationOptions limits, int? shardCount = null)
    {
        _limits = limits;
        var count = shardCount ?? Math.Max(2, Environment.ProcessorCount * 2);
        _shards = new AggregationShard[count];
        for (var i = 0; i < count; i++)
        {
            _shards[i] = new AggregationShard(limits);
        }
    }

    /// <summary>The shard for the calling thread's processor. Lock its <see cref="AggregationShard.Sync"/> while writing.</summary>
    public AggregationShard CurrentShard => _shards[(int)((uint)Thread.GetCurrentProcessorId() % (uint)_shards.Length)];

    /// <summary>Records that went to an overflow series since start, by dimension.</summary>
    public OverflowCounts OverflowTotal
    {
        get
        {
            lock (_storeLock)
            {
                return _overflowTotal;
            }
        }
    }

    /// <summary>Folds every shard into the ring and drops minutes before <paramref name="oldestMinute"/>.</summary>
    public void Flush(long oldestMinute)
    {
        lock (_storeLock)
        {
            FlushLocked(oldestMinute);
        }
    }

    /// <summary>Flushes, then runs <paramref name="read"/> over the minutes in [<paramref name="fromMinute"/>, <paramref name="toMinute"/>].</summary>
    public T Read<T>(long oldestMinute, long fromMinute, long toMinute, Func<IReadOnlyList<KeyValuePair<long, MinuteBucket>>, T> read)
    {
        lock (_storeLock)
        {
            FlushLocked(oldestMinute);
            var window = new List<KeyValuePair<long, MinuteBucket>>();
            foreach (var pair in _minutes)
            {
                if (pair.Key >= fromMinute && pair.Key <= toMinute)
                {
                    window.Add(pair);
                }
            }

            return read(window);
        }
    }

    /// <summary>Series held in the ring, for the cardinality self-metrics.</summary>
    public (long Edges, long Endpoints, long Instances, int Minutes) SeriesCounts()
    {
        lock (_storeLock)
        {
            long edges = 0, endpoints = 0, instances = 0;
            foreach (var bucket in _minutes.Values)
            {
                edges += bucket.Edges.Count;
                endpoints += bucket.Endpoints.Count;
                instances += bucket.Instances.Count;
            }

            return (edges, endpoints, instances, _minutes.Count);
        }
    }

    private void FlushLocked(long oldestMinute)
    {
        foreach (var shard in _shards)
        {
            var taken = shard.Swap();
            if (taken is null)
            {
                continue;
            }

            foreach (var (minute, bucket) in taken)
            {
                if (minute < oldestMinute)
                {
                    continue;
                }

                if (!_minutes.TryGetValue(minute, out var target))
                {
                    target = new MinuteBucket(_limits);
                    _minutes.Add(minute, target);
                }

                target.Merge(bucket);
                _overflowTotal.Add(target.TakeOverflow());
            }
        }

        while (_minutes.Count > 0)
        {
            var first = _minutes.Keys.First();
            if (first >= oldestMinute)
            {
                break;
            }

            _minutes.Remove(first);
        }
    }
}
