using System.Collections.Concurrent;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>One call kept as a sample, decoded when it was kept.</summary>
internal sealed record CallSample(
    DateTimeOffset Time,
    ReporterSide Reporter,
    TrafficProtocol Protocol,
    NodeRef Source,
    NodeRef Target,
    string Endpoint,
    int StatusCode,
    uint Flags,
    bool Error,
    long LatencyMicros,
    long BytesSent,
    long BytesReceived,
    SampleDetails Details);

/// <summary>
/// The per-edge reservoirs of failing and slowest calls. Per edge: the most recent
/// <see cref="SampleOptions.MaxSamplesPerEdge"/> failing calls, and as many slowest calls of the
/// current period of <see cref="SampleOptions.SlowSampleMinutes"/> and of the previous one. At
/// most <see cref="SampleOptions.MaxSampleEdges"/> edges; past it the edge sampled least recently
/// is forgotten (<see cref="EdgesEvicted"/>). The collector merges the shards' candidates in
/// (<see cref="Merge"/>), queries read under the same lock; ingest only reads
/// <see cref="FloorOf"/>, a lock-free dictionary read, once per edge per shard buffer.
/// Bytes are bounded by <paramref name="budgetBytes"/> (the <c>samples</c> share of the memory
/// budget, <see cref="SampleBytes"/>): three quarters for the kept samples, past which the edges
/// sampled least recently are forgotten (<see cref="EdgesEvictedForBytes"/>), and a quarter for
/// the entry bytes the shard buffers copy for their candidates until the next collect, past
/// which a candidate is kept without them (<see cref="EntriesNotAttached"/>).
/// </summary>
internal sealed class SampleStore(SampleOptions options, TimeProvider time, long budgetBytes = SampleStore.Unbounded)
{
    /// <summary>No byte bound: for stores built without a budget (tests, benchmarks).</summary>
    public const long Unbounded = long.MaxValue / 8;

    private readonly long _keptBudget = budgetBytes / 4 * 3;
    private readonly long _captureBudget = budgetBytes / 4;
    private long _bytes;
    private readonly HashSet<CallSample> _seen = new(ReferenceEqualityComparer.Instance);
    private long _evictedForBytes;
    private long _captureBytes;
    private long _tooLong;
    private long _overBudget;

    private readonly Lock _lock = new();
    private readonly Dictionary<EdgeKey, EdgeSamples> _edges = [];

    // Least recently sampled first.
    private readonly LinkedList<EdgeSamples> _recency = new();
    private readonly ConcurrentDictionary<EdgeKey, (long Period, long Floor)> _floors = new();
    private long _period = long.MinValue;
    private long _evicted;
    private long _held;

    public SampleOptions Options => options;

    /// <summary>Edges forgotten to stay within <see cref="SampleOptions.MaxSampleEdges"/>.</summary>
    public long EdgesEvicted => Interlocked.Read(ref _evicted);

    /// <summary>Edges forgotten to keep the samples' estimated bytes within their share.</summary>
    public long EdgesEvictedForBytes => Interlocked.Read(ref _evictedForBytes);

    /// <summary>Bytes the kept samples may hold (three quarters of the budget).</summary>
    public long KeptBudgetBytes => _keptBudget;

    /// <summary>Candidates kept without their entry's bytes (so without details): the entry was longer than <see cref="SampleBytes.MaxAttachedEntryBytes"/>, or the copies waiting for the collector held their quarter of the budget.</summary>
    public (long TooLong, long MemoryBudget) EntriesNotAttached => (Interlocked.Read(ref _tooLong), Interlocked.Read(ref _overBudget));

    /// <summary>Estimated bytes held: the kept samples with their edges, and the entry copies waiting in shard buffers.</summary>
    public long EstimatedBytes => Interlocked.Read(ref _bytes) + Interlocked.Read(ref _captureBytes);

    /// <summary>
    /// Ingest: reserves the bytes of a copy of an entry for a candidate, from the quarter of the
    /// budget the shard buffers share until the collector merges them (<see cref="Merge"/> gives
    /// them back); false (counted) when the entry is too long or that quarter is held.
    /// </summary>
    public bool TryReserveEntry(int length, out long bytes)
    {
        bytes = SampleBytes.EntryCopy(length);
        if (length > SampleBytes.MaxAttachedEntryBytes)
        {
            Interlocked.Increment(ref _tooLong);
            bytes = 0;
            return false;
        }

        if (Interlocked.Add(ref _captureBytes, bytes) > _captureBudget)
        {
            Interlocked.Add(ref _captureBytes, -bytes);
            Interlocked.Increment(ref _overBudget);
            bytes = 0;
            return false;
        }

        return true;
    }

    /// <summary>Edges with samples, and the samples held (a call that is both failing and slow counts once per reservoir).</summary>
    public (int Edges, long Samples) Counts()
    {
        lock (_lock)
        {
            return (_edges.Count, _held);
        }
    }

    /// <summary>
    /// The latency (µs) a call of the edge must exceed to be a slow sample: the fastest of the
    /// current period's slowest calls once the reservoir is full, else 0 (any call with a latency).
    /// A call of a later period (by its minute) than the floor's has floor 0: that period starts afresh.
    /// </summary>
    public long FloorOf(EdgeKey key, long minute) =>
        _floors.TryGetValue(key, out var floor) && floor.Period >= minute / options.SlowSampleMinutes ? floor.Floor : 0;

    /// <summary>Collector: merges one shard buffer's candidates, decoding those kept.</summary>
    public void Merge(SampleCapture capture)
    {
        try
        {
            MergeLocked(capture);
        }
        finally
        {
            Interlocked.Add(ref _captureBytes, -capture.TakeAttachedBytes());
        }
    }

    private void MergeLocked(SampleCapture capture)
    {
        lock (_lock)
        {
            Rotate();
            foreach (var (key, candidates) in capture.Edges)
            {
                var edge = Touch(key);
                for (var i = 0; i < candidates.ErrorCount; i++)
                {
                    edge.AddError(Kept(candidates.Errors[i]), ref _held);
                }

                for (var i = 0; i < candidates.SlowCount; i++)
                {
                    var candidate = candidates.Slow[i];
                    if (candidate.Record.LatencyMicros > edge.Floor(options.MaxSamplesPerEdge))
                    {
                        edge.AddSlow(Kept(candidate), options.MaxSamplesPerEdge, ref _held);
                    }
                }

                _floors[key] = (_period, edge.Floor(options.MaxSamplesPerEdge));
                Recount(edge);
            }

            // The least recently sampled edges go first; the one just sampled stays.
            while (_bytes > _keptBudget && _recency.Count > 1 && _recency.First is { } oldest)
            {
                Forget(oldest.Value);
                _evictedForBytes++;
            }
        }
    }

    /// <summary>The samples of the edges from <paramref name="source"/> to <paramref name="target"/> (node ids, every protocol) in [from, to), newest first.</summary>
    public List<(CallSample Sample, bool Failing, bool Slow)> Query(string source, string target, DateTimeOffset from, DateTimeOffset to)
    {
        var found = new Dictionary<CallSample, (bool Failing, bool Slow)>(ReferenceEqualityComparer.Instance);
        lock (_lock)
        {
            foreach (var edge in _edges.Values)
            {
                if (edge.SourceId != source || edge.TargetId != target)
                {
                    continue;
                }

                foreach (var s in edge.Errors)
                {
                    if (s is not null)
                    {
                        found[s] = (true, found.GetValueOrDefault(s).Slow);
                    }
                }

                foreach (var s in edge.Slow.Concat(edge.PreviousSlow))
                {
                    found[s] = (found.GetValueOrDefault(s).Failing, true);
                }
            }
        }

        return [.. found
            .Where(p => p.Key.Time >= from && p.Key.Time < to)
            .OrderByDescending(p => p.Key.Time)
            .ThenByDescending(p => p.Key.LatencyMicros)
            .Select(p => (p.Key, p.Value.Failing, p.Value.Slow))];
    }

    private void Recount(EdgeSamples edge)
    {
        var before = edge.Bytes;
        _bytes += edge.Recount(options.MaxSamplesPerEdge, _seen) - before;
    }

    private void Forget(EdgeSamples edge)
    {
        _recency.Remove(edge.Recency);
        _edges.Remove(edge.Key);
        _floors.TryRemove(edge.Key, out _);
        _held -= edge.Held;
        _bytes -= edge.Bytes;
    }

    private static CallSample Kept(SampleCandidate candidate)
    {
        if (candidate.Kept is { } kept)
        {
            return kept;
        }

        var r = candidate.Record;
        var details = SampleDetails.Read(candidate.Entry, r.Protocol != TrafficProtocol.Tcp);
        candidate.Entry = null;
        return candidate.Kept = new CallSample(
            details.Start ?? DateTimeOffset.FromUnixTimeSeconds(r.Minute * 60),
            r.Reporter,
            r.Protocol,
            r.Source,
            r.Target,
            r.Endpoint,
            r.StatusCode,
            r.Flags,
            r.Error,
            r.LatencyMicros,
            r.BytesSent,
            r.BytesReceived,
            SampleBytes.Capped(details));
    }

    /// <summary>A new slow period empties the current reservoirs (the previous period's stay visible) and resets the floors.</summary>
    private void Rotate()
    {
        var period = Math.DivRem(time.GetUtcNow().ToUnixTimeSeconds(), 60).Quotient / options.SlowSampleMinutes;
        if (period == _period)
        {
            return;
        }

        var next = period == _period + 1;
        _period = period;
        foreach (var (key, edge) in _edges)
        {
            _held -= edge.PreviousSlow.Count;
            edge.PreviousSlow = next ? edge.Slow : [];
            if (!next)
            {
                _held -= edge.Slow.Count;
            }

            edge.Slow = [];
            _floors[key] = (period, 0);
            Recount(edge);
        }
    }

    private EdgeSamples Touch(EdgeKey key)
    {
        if (_edges.TryGetValue(key, out var edge))
        {
            _recency.Remove(edge.Recency);
            _recency.AddLast(edge.Recency);
            return edge;
        }

        while (_edges.Count >= options.MaxSampleEdges && _recency.First is { } oldest)
        {
            Forget(oldest.Value);
            _evicted++;
        }

        edge = new EdgeSamples(key, options.MaxSamplesPerEdge);
        _edges.Add(key, edge);
        _recency.AddLast(edge.Recency);
        return edge;
    }

    private sealed class EdgeSamples
    {
        public EdgeSamples(EdgeKey key, int size)
        {
            Key = key;
            SourceId = key.Source.Id;
            TargetId = key.Target.Id;
            Errors = new CallSample?[size];
            Recency = new LinkedListNode<EdgeSamples>(this);
        }

        public EdgeKey Key { get; }

        public string SourceId { get; }

        public string TargetId { get; }

        public LinkedListNode<EdgeSamples> Recency { get; }

        /// <summary>A ring: the most recent failing calls.</summary>
        public CallSample?[] Errors { get; }

        public List<CallSample> Slow { get; set; } = [];

        public List<CallSample> PreviousSlow { get; set; } = [];

        public long Held => Errors.Count(e => e is not null) + Slow.Count + PreviousSlow.Count;

        /// <summary>Estimated bytes as last counted (<see cref="Recount"/>).</summary>
        public long Bytes { get; private set; }

        /// <summary>Counts the edge's bytes again: itself, and every sample once, however many reservoirs hold it (<paramref name="seen"/>: scratch, emptied here).</summary>
        public long Recount(int size, HashSet<CallSample> seen)
        {
            seen.Clear();
            var bytes = SampleBytes.Edge(Key, SourceId, TargetId, size);
            foreach (var e in Errors)
            {
                bytes += e is not null && seen.Add(e) ? SampleBytes.Of(e) : 0;
            }

            foreach (var s in Slow)
            {
                bytes += seen.Add(s) ? SampleBytes.Of(s) : 0;
            }

            foreach (var s in PreviousSlow)
            {
                bytes += seen.Add(s) ? SampleBytes.Of(s) : 0;
            }

            seen.Clear();
            return Bytes = bytes;
        }

        private int _nextError;

        public long Floor(int size) => Slow.Count < size ? 0 : Slow.Min(s => s.LatencyMicros);

        public void AddError(CallSample sample, ref long held)
        {
            if (Errors[_nextError] is null)
            {
                held++;
            }

            Errors[_nextError] = sample;
            _nextError = (_nextError + 1) % Errors.Length;
        }

        public void AddSlow(CallSample sample, int size, ref long held)
        {
            if (Slow.Contains(sample))
            {
                return;
            }

            if (Slow.Count < size)
            {
                Slow.Add(sample);
                held++;
                return;
            }

            var fastest = 0;
            for (var i = 1; i < Slow.Count; i++)
            {
                if (Slow[i].LatencyMicros < Slow[fastest].LatencyMicros)
                {
                    fastest = i;
                }
            }

            Slow[fastest] = sample;
        }
    }
}
