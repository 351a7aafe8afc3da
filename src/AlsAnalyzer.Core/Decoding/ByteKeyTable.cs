using System.IO.Hashing;
using System.Security.Cryptography;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// A bounded, append-only map from byte strings to objects, built for the decoder's lookups:
/// every entry of every message looks up half a dozen names and two peer metadata payloads
/// here, and nearly all of them are hits.
/// <list type="bullet">
/// <item>Reads take no lock. A slot is written once, its hash last (a release write), and never
/// changed; a reader that sees the hash sees the rest. Growing builds a new array under the
/// write lock and publishes it; a reader still on the old one at worst misses, and a miss
/// looks again under the lock.</item>
/// <item>Nobody waits for the write lock: a miss that finds it taken returns the value it made
/// without keeping it (so two lookups of a key racing its first add may get two equal values;
/// the table keeps one).</item>
/// <item>Open addressing with the 64-bit hash in the slot, and keys of up to 16 bytes (IPs, most
/// names) stored in the slot too, so a hit touches one slot and no key array.</item>
/// <item>The hash is XXH3 with a seed drawn at start-up, so which keys collide is not known in
/// advance to whoever sends them.</item>
/// <item>Past <see cref="Capacity"/> keys, values are made and returned without being kept, and
/// counted in <see cref="Overflow"/>.</item>
/// </list>
/// </summary>
internal sealed class ByteKeyTable<TValue> : ICountedTable
    where TValue : class
{
    private const int InlineBytes = ShortBytes.Max;
    private const int InitialSlots = 64;

    private static readonly long Seed = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));

    private readonly Lock _writeLock = new();
    private Slot[] _slots = new Slot[InitialSlots];
    private int _count;
    private long _overflow;

    public ByteKeyTable(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
    }

    /// <summary>Makes the value a key stands for, on the first sight of the key.</summary>
    public delegate TValue Factory(ReadOnlySpan<byte> key);

    public int Capacity { get; }

    public int Count => Volatile.Read(ref _count);

    /// <summary>Values made but not kept because the table was full.</summary>
    public long Overflow => Interlocked.Read(ref _overflow);

    /// <summary>The value kept for <paramref name="key"/>, else <paramref name="create"/>'s, kept while there is room and no other add is under way.</summary>
    public TValue GetOrAdd(ReadOnlySpan<byte> key, Factory create)
    {
        var hash = Hash(key);
        var (k0, k1) = Inline(key);
        var found = Find(Volatile.Read(ref _slots), key, hash, k0, k1);
        return found ?? Add(key, hash, k0, k1, create);
    }

    private static ulong Hash(ReadOnlySpan<byte> key)
    {
        // 0 marks an empty slot.
        var h = XxHash3.HashToUInt64(key, Seed);
        return h == 0 ? 1 : h;
    }

    private static (ulong K0, ulong K1) Inline(ReadOnlySpan<byte> key) => key.Length > InlineBytes ? (0, 0) : ShortBytes.Pack(key);

    private static TValue? Find(Slot[] slots, ReadOnlySpan<byte> key, ulong hash, ulong k0, ulong k1)
    {
        var mask = slots.Length - 1;
        var i = (int)hash & mask;
        while (true)
        {
            ref var slot = ref slots[i];
            var h = Volatile.Read(ref slot.Hash);
            if (h == 0)
            {
                return null;
            }

            if (h == hash && slot.Length == key.Length
                && (key.Length <= InlineBytes ? slot.K0 == k0 && slot.K1 == k1 : key.SequenceEqual(slot.LongKey)))
            {
                return slot.Value;
            }

            i = (i + 1) & mask;
        }
    }

    private TValue Add(ReadOnlySpan<byte> key, ulong hash, ulong k0, ulong k1, Factory create)
    {
        if (Volatile.Read(ref _count) >= Capacity)
        {
            // Full: the table no longer changes, so a miss stays a miss without the write lock
            // (a key that raced in before the last add is in the current array).
            if (Find(Volatile.Read(ref _slots), key, hash, k0, k1) is { } kept)
            {
                return kept;
            }

            Interlocked.Increment(ref _overflow);
            return create(key);
        }

        var value = create(key);

        // Ingest never waits for another writer's add: first sights of keys do meet here (7
        // contentions in 20 s of e2e with 1,000 streams, benchmarks/README.md "Contention").
        // When the lock is busy, this entry uses the value it made, unkept, as past the cap,
        // and a later sight of the key keeps it.
        if (!_writeLock.TryEnter())
        {
            return value;
        }

        try
        {
            var slots = _slots;
            if (Find(slots, key, hash, k0, k1) is { } raced)
            {
                return raced;
            }

            if (_count >= Capacity)
            {
                Interlocked.Increment(ref _overflow);
                return value;
            }

            // Half full at most, so that probes stay short.
            if ((_count + 1) * 2 > slots.Length)
            {
                slots = Grow(slots);
            }

            Insert(slots, hash, key.Length, k0, k1, key.Length > InlineBytes ? key.ToArray() : null, value);
            Volatile.Write(ref _count, _count + 1);
            return value;
        }
        finally
        {
            _writeLock.Exit();
        }
    }

    private Slot[] Grow(Slot[] old)
    {
        var slots = new Slot[old.Length * 2];
        foreach (ref readonly var s in old.AsSpan())
        {
            if (s.Hash != 0)
            {
                Insert(slots, s.Hash, s.Length, s.K0, s.K1, s.LongKey, s.Value!);
            }
        }

        Volatile.Write(ref _slots, slots);
        return slots;
    }

    private static void Insert(Slot[] slots, ulong hash, int length, ulong k0, ulong k1, byte[]? longKey, TValue value)
    {
        var mask = slots.Length - 1;
        var i = (int)hash & mask;
        while (slots[i].Hash != 0)
        {
            i = (i + 1) & mask;
        }

        ref var slot = ref slots[i];
        slot.Length = length;
        slot.K0 = k0;
        slot.K1 = k1;
        slot.LongKey = longKey;
        slot.Value = value;

        // Published last: a reader that sees the hash sees the fields above.
        Volatile.Write(ref slot.Hash, hash);
    }

    private struct Slot
    {
        public ulong Hash;
        public ulong K0;
        public ulong K1;
        public int Length;
        public byte[]? LongKey;
        public TValue? Value;
    }
}
