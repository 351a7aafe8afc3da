using System.Runtime.CompilerServices;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// The minute ring and the ingest shards that feed it. Ingest claims a shard per message
/// without a lock (<see cref="Claim"/>, <see cref="AggregationShard"/>); the collector (a
/// timer, and every query before it reads) swaps each shard's buffer out, folds it into the
/// ring and drops minutes older than the retention. <c>_storeLock</c> serialises the
/// collector and the start and end of each query over the ring; no writer ever takes it.
/// <para>A query scans without that lock, so a long scan never holds up the collector:
/// queries are serialised among themselves (<c>_readLock</c>; one scan at a time, as the
/// collector's lock made them before), each flushes and takes its window's minute buckets
/// under the store lock and marks them as being read; while a minute is read the collector
/// merges what arrives for it into that minute's pending bucket, which no query reads, and
/// folds the pending bucket into the minute at the first collect after the scan (every query
/// flushes first, so it always finds the pending buckets folded: answers are never stale).
/// A scan thus sees each of its buckets as they were when it began, across all its passes,
/// while the collector and the evictions go on: an evicted or expired minute only leaves the
/// ring, its bucket is not changed. The pending bucket has the minute's caps and byte share
/// and counts toward the ring's share; merging it into the minute applies the minute's caps
/// once more (so a minute being read may fold a little earlier, counted as overflow).</para>
/// </summary>
internal sealed partial class Aggregator
{
    private readonly SortedDictionary<long, RingMinute> _minutes = [];
    private readonly Lock _storeLock = new();
    private readonly Lock _readLock = new();
    private readonly AggregationOptions _limits;
    private readonly IShardTables? _tables;
    private readonly long _ringBytes;
    private readonly long _minuteBytes;
    private readonly long _shardBytes;
    private AggregationShard[] _shards;
    private long _evictedBefore = long.MinValue;
    private long _evictedMinutes;
    private long _evictedCalls;
    private long _estimatedBytes;
    private StrongBox<(long Edges, long Endpoints, long Instances, int Minutes)> _seriesCounts = new();
    private OverflowCounts _overflowTotal;
    private StrongBox<OverflowCounts> _overflowPublished = new();
    private long _shardsAdded;
    private long _swapsMidMessage;
    private long _mergedWhileRead;

    /// <param name="limits">Retention and per-minute series caps.</param>
    /// <param name="shardCount">Shards to start with (default two per core).</param>
    /// <param name="tables">Another subsystem's tables kept next to each shard buffer (Istio series), if any.</param>
    /// <param name="samples">The per-edge sample reservoirs, if sampling is on.</param>
    /// <param name="budget">
    /// The ring's and the shards' byte shares. A minute may take up to twice its even share of
    /// the ring (a burst does not fold at once); past the ring's share the oldest minutes are
    /// evicted (<see cref="EvictedMinutes"/>), and records that arrive later for an evicted
    /// minute are dropped (<see cref="EvictedCalls"/>).
    /// </param>
    public Aggregator(AggregationOptions limits, int? shardCount = null, IShardTables? tables = null, SampleStore? samples = null, AggregationBudget? budget = null)
    {
        _limits = limits;
        _tables = tables;
        Samples = samples;
        var count = shardCount ?? Math.Max(2, Environment.ProcessorCount * 2);
        var b = budget ?? AggregationBudget.Unlimited;
        _ringBytes = b.RingBytes;
        _minuteBytes = b.RingBytes == long.MaxValue ? long.MaxValue : Math.Max(1, b.RingBytes / limits.RetentionMinutes * 2);
        _shardBytes = b.ShardBytes == long.MaxValue ? long.MaxValue : Math.Max(1, b.ShardBytes / count);
        _shards = new AggregationShard[count];
        for (var i = 0; i < count; i++)
        {
            _shards[i] = new AggregationShard(limits, tables, samples, _shardBytes);
        }
    }

    /// <summary>The per-edge sample reservoirs the shards' candidates are merged into, if sampling is on.</summary>
    public SampleStore? Samples { get; }

    /// <summary>Minutes evicted from the ring because it outgrew its byte share.</summary>
    public long EvictedMinutes => Interlocked.Read(ref _evictedMinutes);

    /// <summary>Calls in records that arrived for a minute already evicted, dropped.</summary>
    public long EvictedCalls => Interlocked.Read(ref _evictedCalls);

    /// <summary>Estimated bytes of the ring's series after the last collect.</summary>
    public long EstimatedBytes => Interlocked.Read(ref _estimatedBytes);

    /// <summary>The ring's byte share (<see cref="long.MaxValue"/> when unbounded).</summary>
    public long RingBytes => _ringBytes;

    /// <summary>Estimated bytes a minute may hold.</summary>
    public long MinuteBytes => _minuteBytes;

    /// <summary>Shards now: the initial ones plus any added when every shard was busy.</summary>
    public int ShardCount => Volatile.Read(ref _shards).Length;

    /// <summary>Shards added because a writer found every shard claimed.</summary>
    public long ShardsAdded => Interlocked.Read(ref _shardsAdded);

    /// <summary>Buffers the collector swapped out while a writer was inside the shard, and so waited for.</summary>
    public long SwapsMidMessage => Interlocked.Read(ref _swapsMidMessage);

    /// <summary>Shard minutes the collector merged into a pending bucket because a query was reading that minute.</summary>
    public long MergedWhileRead => Interlocked.Read(ref _mergedWhileRead);

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
    /// <remarks>As of the last collect (or restore), read without the ring's lock, like <see cref="SeriesCounts"/>.</remarks>
    public OverflowCounts OverflowTotal => Volatile.Read(ref _overflowPublished).Value;

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
    /// <paramref name="read"/> runs without the ring's lock on buckets that do not change
    /// until it returns (the collector merges into their pending buckets meanwhile); it waits
    /// for a query already scanning to finish first.
    /// </summary>
    public T Read<T>(long oldestMinute, long fromMinute, long toMinute, Func<IReadOnlyList<KeyValuePair<long, MinuteBucket>>, T> read)
    {
        lock (_readLock)
        {
            var window = new List<KeyValuePair<long, RingMinute>>();
            var buckets = new List<KeyValuePair<long, MinuteBucket>>();
            lock (_storeLock)
            {
                FlushLocked(oldestMinute);
                foreach (var pair in _minutes)
                {
                    if (pair.Key >= fromMinute && pair.Key <= toMinute)
                    {
                        pair.Value.Readers++;
                        window.Add(pair);
                        buckets.Add(new(pair.Key, pair.Value.Bucket));
                    }
                }
            }

            try
            {
                return read(buckets);
            }
            finally
            {
                lock (_storeLock)
                {
                    foreach (var (_, minute) in window)
                    {
                        minute.Readers--;
                    }
                }
            }
        }
    }

    /// <summary>Series held in the ring, for the cardinality self-metrics.</summary>
    /// <remarks>
    /// As of the last collect, read without the ring's lock: a scrape never waits for a query
    /// (which runs at a lower priority and may be preempted while it holds the lock).
    /// </remarks>
    public (long Edges, long Endpoints, long Instances, int Minutes) SeriesCounts() => Volatile.Read(ref _seriesCounts).Value;

    /// <summary>
    /// Adds a shard, claimed before anyone else can see it. The array only grows, by one per
    /// writer that found every shard busy, so it is bounded by the most writers ever inside a
    /// message at once (threads, not streams).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ShardLease ClaimAdded()
    {
        var shard = new AggregationShard(_limits, _tables, Samples, _shardBytes);
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

                if (minute < _evictedBefore)
                {
                    Interlocked.Add(ref _evictedCalls, bucket.Calls());
                    _overflowTotal.Add(bucket.TakeOverflow());
                    continue;
                }

                MergeLocked(minute, bucket);
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

        foreach (var minute in _minutes.Values)
        {
            CompactLocked(minute);
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

        BoundRingLocked();
    }

    /// <summary>Under the store lock: evicts the oldest minutes past the ring's share and publishes the ring's bytes, series counts and overflow totals.</summary>
    private void BoundRingLocked()
    {
        long bytes = 0;
        foreach (var minute in _minutes.Values)
        {
            bytes += minute.EstimatedBytes;
        }

        // Over the ring's share: the oldest minutes go first (the newest is always kept, and
        // its own share bounds it). A record that arrives later for an evicted minute is dropped.
        while (bytes > _ringBytes && _minutes.Count > 1)
        {
            var (first, minute) = _minutes.First();
            bytes -= minute.EstimatedBytes;
            _minutes.Remove(first);
            _evictedBefore = Math.Max(_evictedBefore, first + 1);
            Interlocked.Increment(ref _evictedMinutes);
        }

        Interlocked.Exchange(ref _estimatedBytes, bytes);
        long edges = 0, endpoints = 0, instances = 0;
        foreach (var minute in _minutes.Values)
        {
            foreach (var bucket in (ReadOnlySpan<MinuteBucket?>)[minute.Bucket, minute.Pending])
            {
                edges += bucket?.Edges.Count ?? 0;
                endpoints += bucket?.Endpoints.Count ?? 0;
                instances += bucket?.Instances.Count ?? 0;
            }
        }

        Volatile.Write(ref _seriesCounts, new((edges, endpoints, instances, _minutes.Count)));
        Volatile.Write(ref _overflowPublished, new(_overflowTotal));
    }

    /// <summary>
    /// Under the store lock: merges a shard's (or a snapshot's) minute into the ring, into the
    /// minute's pending bucket while a query reads the minute.
    /// </summary>
    private void MergeLocked(long minute, MinuteBucket source)
    {
        if (!_minutes.TryGetValue(minute, out var ring))
        {
            ring = new RingMinute(NewRingMinute());
            _minutes.Add(minute, ring);
        }

        MinuteBucket target;
        if (ring.Readers > 0)
        {
            target = ring.Pending ??= NewRingMinute();
            Interlocked.Increment(ref _mergedWhileRead);
        }
        else
        {
            CompactLocked(ring);
            target = ring.Bucket;
        }

        target.Merge(source);
        _overflowTotal.Add(target.TakeOverflow());
    }

    /// <summary>Under the store lock: folds a minute's pending bucket into it once no query reads it.</summary>
    private void CompactLocked(RingMinute ring)
    {
        if (ring.Pending is { } pending && ring.Readers == 0)
        {
            ring.Bucket.Merge(pending);
            _overflowTotal.Add(ring.Bucket.TakeOverflow());
            ring.Pending = null;
        }
    }

    private MinuteBucket NewRingMinute() => new(_limits, new SeriesBudget(_minuteBytes), tracksGrowth: true);

    /// <summary>
    /// One minute of the ring: the bucket queries read, and the bucket the collector merges into
    /// while a query reads the first. Both fields and the reader count change only under the store lock.
    /// </summary>
    private sealed class RingMinute(MinuteBucket bucket)
    {
        public MinuteBucket Bucket { get; } = bucket;

        public MinuteBucket? Pending { get; set; }

        /// <summary>Queries reading <see cref="Bucket"/> now.</summary>
        public int Readers { get; set; }

        public long EstimatedBytes => Bucket.EstimatedBytes + (Pending?.EstimatedBytes ?? 0);
    }
}
