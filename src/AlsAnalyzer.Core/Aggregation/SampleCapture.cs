using System.Runtime.CompilerServices;
using AlsAnalyzer.Core.Analysis;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// One side record that may become a sample, and a copy of its entry's bytes (decoded only if
/// the store keeps it).
/// </summary>
internal sealed class SampleCandidate(in SideRecord record)
{
    public readonly SideRecord Record = record;

    /// <summary>The access log entry's protobuf bytes (<c>HTTPAccessLogEntry</c> or <c>TCPAccessLogEntry</c>), or null when not attached.</summary>
    public byte[]? Entry;

    /// <summary>The sample made from it once the store kept it (a call both failing and slow is decoded once).</summary>
    public CallSample? Kept;
}

/// <summary>One edge's candidates within one shard buffer: the first failing calls and the slowest calls it saw.</summary>
internal sealed class EdgeCandidates(int size, long storeFloor)
{
    public readonly SampleCandidate[] Errors = new SampleCandidate[size];
    public readonly SampleCandidate[] Slow = new SampleCandidate[size];
    public int ErrorCount;
    public int SlowCount;

    /// <summary>The store's floor for the edge when the buffer first met it: slower calls only are candidates.</summary>
    public readonly long StoreFloor = storeFloor;

    /// <summary>Latency a call must exceed to be a slow candidate now.</summary>
    public long Floor
    {
        get
        {
            if (SlowCount < Slow.Length)
            {
                return StoreFloor;
            }

            var min = long.MaxValue;
            for (var i = 0; i < SlowCount; i++)
            {
                min = Math.Min(min, Slow[i].Record.LatencyMicros);
            }

            return Math.Max(min, StoreFloor);
        }
    }
}

/// <summary>
/// The sample candidates one shard buffer gathered; plain state owned like the buffer (its
/// writer, then the collector). Ingest reaches it only for records that beat the edge's floor
/// or fail (<see cref="ShardBuffer.Record"/> compares two fields of the edge's stats), so the
/// common call costs nothing here. The entry's bytes are attached after its analysis
/// (<see cref="ShardBuffer.AttachSample"/>), and decoded only when the store keeps them.
/// </summary>
internal sealed class SampleCapture(SampleStore store)
{
    // A gateway's entry yields two records; a sidecar's one.
    private readonly SampleCandidate?[] _pending = new SampleCandidate?[2];
    private int _pendingCount;
    private long _attachedBytes;

    public Dictionary<EdgeKey, EdgeCandidates> Edges { get; } = [];

    public SampleStore Store => store;

    /// <summary>
    /// Offers a record that failed or beat <paramref name="edge"/>'s floor: keeps it as a
    /// candidate if it still qualifies, and updates the edge's floor and its "errors full" mark.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public bool Offer(EdgeStats edge, in SideRecord record)
    {
        var size = store.Options.MaxSamplesPerEdge;
        if (size == 0)
        {
            edge.SampleFloor = long.MaxValue;
            edge.SampleErrorsFull = true;
            return false;
        }

        var key = new EdgeKey(record.Source, record.Target, record.Protocol);
        if (!Edges.TryGetValue(key, out var edgeCandidates))
        {
            var storeFloor = store.FloorOf(key, record.Minute);
            if (!record.Error && record.LatencyMicros <= storeFloor)
            {
                // Nothing to keep: the edge's calls must beat the store's floor from now on.
                edge.SampleFloor = storeFloor;
                return false;
            }

            edgeCandidates = new EdgeCandidates(size, storeFloor);
            Edges.Add(key, edgeCandidates);
        }

        SampleCandidate? candidate = null;
        if (record.Error && edgeCandidates.ErrorCount < size)
        {
            candidate = new SampleCandidate(record);
            edgeCandidates.Errors[edgeCandidates.ErrorCount++] = candidate;
        }

        if (record.LatencyMicros > edgeCandidates.Floor)
        {
            candidate ??= new SampleCandidate(record);
            if (edgeCandidates.SlowCount < size)
            {
                edgeCandidates.Slow[edgeCandidates.SlowCount++] = candidate;
            }
            else
            {
                var fastest = 0;
                for (var i = 1; i < size; i++)
                {
                    if (edgeCandidates.Slow[i].Record.LatencyMicros < edgeCandidates.Slow[fastest].Record.LatencyMicros)
                    {
                        fastest = i;
                    }
                }

                edgeCandidates.Slow[fastest] = candidate;
            }
        }

        edge.SampleFloor = edgeCandidates.Floor;
        edge.SampleErrorsFull = edgeCandidates.ErrorCount >= size;
        if (candidate is null)
        {
            return false;
        }

        if (_pendingCount < _pending.Length)
        {
            _pending[_pendingCount++] = candidate;
        }

        return true;
    }

    /// <summary>Gives the candidates of the entry just analysed a copy of its bytes.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Attach(ReadOnlySpan<byte> entry)
    {
        // A copy is made only for a candidate, and only within the store's bytes for copies.
        byte[]? copy = null;
        if (!entry.IsEmpty && _pendingCount > 0 && store.TryReserveEntry(entry.Length, out var bytes))
        {
            copy = entry.ToArray();
            _attachedBytes += bytes;
        }

        for (var i = 0; i < _pendingCount; i++)
        {
            _pending[i]!.Entry = copy;
            _pending[i] = null;
        }

        _pendingCount = 0;
    }

    /// <summary>Collector: the bytes reserved for this buffer's copies, given back to the store once merged.</summary>
    public long TakeAttachedBytes()
    {
        var bytes = _attachedBytes;
        _attachedBytes = 0;
        return bytes;
    }

    /// <summary>Forgets the pending candidates without bytes (an analysis path that has none to give).</summary>
    public void DropPending()
    {
        Array.Clear(_pending);
        _pendingCount = 0;
    }
}
