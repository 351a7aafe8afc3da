using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// One ingest writer at a time, and no lock. The shard holds the buffer writers fill and a
/// sequence number: even when the shard is free, odd while a writer is inside.
/// <list type="bullet">
/// <item><b>Writer</b> (<see cref="TryClaim"/>, <see cref="Release"/>): one compare-exchange
/// from even to odd claims the shard; a writer that finds it odd or loses the race does not
/// wait, it tries another shard (<see cref="Aggregator.Claim"/>). It then reads the current
/// buffer, writes a whole message into it with plain stores, and leaves with a release write
/// of the next even number. Per message: one interlocked operation on a line no other shard
/// shares, as cheap as the uncontended monitor it replaces, and it never blocks.</item>
/// <item><b>Collector</b> (<see cref="Retire"/>, <see cref="WaitForWriterToLeave"/>): swaps in
/// a fresh buffer with an interlocked exchange, then reads the sequence. If it is even, no
/// writer can still be in the retired buffer: a writer's claim (a full fence) precedes its read
/// of the buffer, and the collector's exchange (a full fence) precedes its read of the
/// sequence, so a writer that read the old buffer has made the sequence odd before the
/// collector looks, and left it even only with a release write that publishes its stores.
/// If it is odd, the one writer inside may be in the old buffer: the collector waits until the
/// sequence moves on (that writer finished its message), never the writer on the collector.</item>
/// </list>
/// The collector never holds anything a writer needs, so a collector or query that is slow or
/// preempted delays no ingest; a writer preempted inside its message delays only the
/// collector, by that message.
/// <para>Why claimed shards rather than the alternatives: a buffer per stream would make the
/// collector walk every stream (10,000 in the many-streams run) and keep a minute's buckets
/// per stream; a buffer per thread does not fit async read loops, whose messages run on
/// whichever pool thread resumes them; per-core counters updated with interlocked operations
/// would put an atomic on every counter of every entry. A claim costs one interlocked
/// operation per message (50 entries in the corpora), and with two shards per core a writer
/// finds its processor's shard free unless another writer was preempted inside it.</para>
/// </summary>
internal sealed class AggregationShard(AggregationOptions limits, IShardTables? tables = null, SampleStore? samples = null, long capBytes = long.MaxValue)
{
    private readonly AggregationOptions _limits = limits;
    private readonly SampleStore? _samples = samples;
    private readonly long _capBytes = capBytes;
    private PaddedSequence _sequence;
    private readonly IShardTables? _tables = tables;
    private ShardBuffer _active = new(limits, tables?.Rent(), samples, capBytes);

    // Collector-only (callers serialise Retire): the sequence read before the last swap. The
    // same value later means no writer has claimed the shard since, so the buffer swapped in
    // then is still empty and need not be swapped again.
    private long _sequenceAtRetire;

    /// <summary>Claims the shard for one writer if it is free; never waits.</summary>
    public bool TryClaim([NotNullWhen(true)] out ShardBuffer? buffer)
    {
        var s = Volatile.Read(ref _sequence.Value);
        if ((s & 1) == 0 && Interlocked.CompareExchange(ref _sequence.Value, s + 1, s) == s)
        {
            buffer = Volatile.Read(ref _active);
            return true;
        }

        buffer = null;
        return false;
    }

    /// <summary>Ends the claim of the writer inside; its stores are visible to whoever reads the sequence next.</summary>
    public void Release() => Volatile.Write(ref _sequence.Value, _sequence.Value + 1);

    /// <summary>
    /// Collector: swaps the buffer for an empty one and returns the old one (null when no
    /// writer claimed the shard since the last swap). <paramref name="sequence"/> is the
    /// sequence after the swap; when odd, pass it to <see cref="WaitForWriterToLeave"/> before
    /// reading the buffer.
    /// </summary>
    public ShardBuffer? Retire(out long sequence)
    {
        var before = Volatile.Read(ref _sequence.Value);
        if (before == _sequenceAtRetire)
        {
            sequence = before;
            return null;
        }

        _sequenceAtRetire = before;
        var retired = Interlocked.Exchange(ref _active, new ShardBuffer(_limits, _tables?.Rent(), _samples, _capBytes));
        sequence = Volatile.Read(ref _sequence.Value);
        return retired;
    }

    /// <summary>
    /// Collector: returns once the writer that was inside at <paramref name="sequence"/> (if
    /// any) has left. It holds the shard for one message (tens of microseconds), longer only
    /// if preempted; SpinWait yields and then sleeps, so waiting costs the writer no CPU.
    /// </summary>
    public void WaitForWriterToLeave(long sequence)
    {
        if ((sequence & 1) == 0)
        {
            return;
        }

        var spinner = default(SpinWait);
        while (Volatile.Read(ref _sequence.Value) == sequence)
        {
            spinner.SpinOnce();
        }
    }

    /// <summary>
    /// The sequence alone on its 64-byte cache line (64 bytes of padding before it, 56 after):
    /// shards are allocated next to each other, and writers on different shards must not
    /// invalidate each other's line.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedSequence
    {
        [FieldOffset(64)]
        public long Value;
    }
}
