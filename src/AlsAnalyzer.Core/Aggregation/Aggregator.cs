using System.Runtime.CompilerServices;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// The minute ring and the ingest shards that feed it. Ingest claims a shard per message
/// without a lock (<see cref="Claim"/>, <see cref="AggregationShard"/>); the collector (a
/// timer, and every query before it reads) swaps each shard's buffer out, folds it into the
/// ring and drops minutes older than the retention. <c>_storeLock</c> serialises the
/// collector, queries and self-metrics over the ring; no writer ever takes it.
/// </summary>
internal sealed partial class Aggregator
{
    private readonly SortedDictionary<long, MinuteBucket> _minutes = [];
    private readonly Lock _storeLock = new();
    private readonly AggregationOptions _limits;
    private readonly IShardTables? _tables;
    private AggregationShard[] _shards;
    private OverflowCounts _overflowTotal;
    private long _shardsAdded;
    private long _swapsMidMessage;

    public Aggregator(AggregationOptions limits, int? shardCount = null, IShardTables? tables = null, SampleStore? samples = null)
    {
        _limits = limits;
        _tables = tables;
        Samples = samples;
        var count = shardCount ?? Math.Max(2, Environment.ProcessorCount * 2);
        _shards = new AggregationShard[count];
        for (var i = 0; i < count; i++)
        {
            _shards[i] = new AggregationShard(limits, tables, samples);
        }
    }

    /// <summary>The per-edge sample reservoirs the shards' candidates are merged into, if sampling is on.</summary>
    public SampleStore? Samples { get; }

    /// <summary>Shards now: the initial ones plus any added when every shard was busy.</summary>
    public int ShardCount => Volatile.Read(ref _shards).Length;

    /// <summary>Shards added because a writer found every shard claimed.</summary>
    public long ShardsAdded => Interlocked.Read(ref _shardsAdded);

    /// <summary>Buffers the collector swapped out while a writer was inside the shard, and so waited for.</summary>
    public long SwapsMidMessage => Interlocked.Read(ref _swapsMidMessage);

    /// <summary>
    /// Claims a free shard for the calling writer, without waiting: first the one of the
    /// current processor, then the next ones. Writers hold a shard for one message and the
    /// default is two shards per core, so finding all busy takes more writers inside a message
    /// than shards, i.e. several preempted mid-message; then a shard is added (rarely; see
    /// <see cref="ShardsAdded"/>), so a writer never waits for another, nor for the collector.
    /// </summary>
    public ShardLease Claim()
    {
        var shards = Volatile.Read(ref _shards);
        var n = (uint)shards.Length;
        var first = (uint)Thread.GetCurrentProcessorId() % n;
        for (var i = 0u; i < n; i++)
        {
            var index = first + i;
            var shard = shards[index < n ? index : index - n];
            if (shard.TryClaim(out var buffer))
            {
                return new ShardLease(shard, buffer);
            }
        }

        return ClaimAdded();
    }

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

    /// <summary>
    /// Flushes, then runs <paramref name="read"/> over the minutes in [<paramref name="fromMinute"/>, <paramref name="toMinute"/>].
    /// Never stale: every record a writer stored before the call is in the answer. A writer
    /// that finished its message released the shard before the flush swapped the buffer and is
    /// in the retired one; a writer still inside is waited for (<see cref="AggregationShard.WaitForWriterToLeave"/>).
    /// </summary>
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

    /// <summary>
    /// Adds a shard, claimed before anyone else can see it. The array only grows, by one per
    /// writer that found every shard busy, so it is bounded by the most writers ever inside a
    /// message at once (threads, not streams).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ShardLease ClaimAdded()
    {
        var shard = new AggregationShard(_limits, _tables, Samples);
        if (!shard.TryClaim(out var buffer))
        {
            throw new System.Diagnostics.UnreachableException("a shard no other thread has seen is claimed");
        }

        while (true)
        {
            var current = Volatile.Read(ref _shards);
            AggregationShard[] grown = [.. current, shard];
            if (Interlocked.CompareExchange(ref _shards, grown, current) == current)
            {
                Interlocked.Increment(ref _shardsAdded);
                return new ShardLease(shard, buffer);
            }
        }
    }

    private void FlushLocked(long oldestMinute)
    {
        // Swap every shard's buffer first, then wait (if at all) for the writers still inside
        // one: each wait overlaps the others, and writers reach the new buffers meanwhile.
        var shards = Volatile.Read(ref _shards);
        var retired = new (AggregationShard Shard, ShardBuffer? Buffer, long Sequence)[shards.Length];
        for (var i = 0; i < shards.Length; i++)
        {
            var buffer = shards[i].Retire(out var sequence);
            retired[i] = (shards[i], buffer, sequence);
        }

        foreach (var (shard, buffer, sequence) in retired)
        {
            if (buffer is null)
            {
                continue;
            }

            if ((sequence & 1) != 0)
            {
                Interlocked.Increment(ref _swapsMidMessage);
                shard.WaitForWriterToLeave(sequence);
            }

            foreach (var (minute, bucket) in buffer.Buckets)
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

            if (buffer.Table is { } table)
            {
                _tables!.Fold(table);
            }

            if (buffer.Samples is { } candidates)
            {
                Samples?.Merge(candidates);
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
