using System.IO.Hashing;
using System.Runtime.CompilerServices;
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
/// <item>Bounded in keys (<see cref="Capacity"/>) and in bytes (<see cref="ByteCapacity"/>: the
/// slot array at its real length with its header, keys longer than 16 bytes as the arrays they
/// are kept in, and the values, as the owner's size function estimates them). Growing doubles
/// the slot array and holds the old one and the new one at once, so an add whose growth would
/// pass the byte bound, counting both arrays, does not grow: like an add that would pass either
/// bound, it starts a new generation first. A new generation: the table is emptied
/// (a new slot array; readers still on the old one finish their lookup there) and counted in
/// <see cref="Resets"/>. Keys in use come back on their next sight, and a flood of new keys
/// cannot pin the table full and leave the keys of a later deploy uncached.</item>
/// <item>A key longer than <see cref="MaxKeyBytes"/> is never kept (its value is made per
/// sight and counted in <see cref="TooLong"/>), so one key cannot take the byte budget.</item>
/// </list>
/// </summary>
internal sealed class ByteKeyTable<TValue> : ICountedTable
    where TValue : class
{
    private const int InlineBytes = ShortBytes.Max;
    private const int InitialSlots = 64;

    // A slot: hash, two inline key words, length (padded), two references (48 bytes on 64-bit).
    private static readonly int SlotBytes = Unsafe.SizeOf<Slot>();

    // An array's header (object header, method table, length) on 64-bit.
    private const int ArrayOverhead = 24;

    private static readonly long Seed = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));

    private readonly Lock _writeLock = new();
    private Slot[] _slots = new Slot[InitialSlots];
    private readonly Func<TValue, long>? _valueBytes;
    private int _count;
    private long _bytes = SlotArrayBytes(InitialSlots);
    private long _overflow;
    private long _resets;
    private long _tooLong;

    /// <param name="capacity">Keys kept at most.</param>
    /// <param name="maxBytes">Bytes kept at most (slots, long keys, values).</param>
    /// <param name="maxKeyBytes">The longest key kept.</param>
    /// <param name="valueBytes">The bytes a value holds on its own (not shared with others); none when null.</param>
    public ByteKeyTable(int capacity, long maxBytes = long.MaxValue, int maxKeyBytes = int.MaxValue, Func<TValue, long>? valueBytes = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(maxKeyBytes);
        Capacity = capacity;
        ByteCapacity = maxBytes;
        MaxKeyBytes = maxKeyBytes;
        _valueBytes = valueBytes;
    }

    /// <summary>Makes the value a key stands for, on the first sight of the key.</summary>
    public delegate TValue Factory(ReadOnlySpan<byte> key);

    public int Capacity { get; }

    public int Count => Volatile.Read(ref _count);

    public long ByteCapacity { get; }

    public int MaxKeyBytes { get; }

    /// <summary>Bytes held now, estimated: the slot array, long keys and the values' own bytes; never above <see cref="ByteCapacity"/>, nor is any growth's peak (old and new slot arrays at once).</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>Values made but not kept because one key and value alone pass the table's bounds.</summary>
    public long Overflow => Interlocked.Read(ref _overflow);

    /// <summary>Times the table was emptied because an add would have passed its bounds.</summary>
    public long Resets => Interlocked.Read(ref _resets);

    /// <summary>Sights of keys longer than <see cref="MaxKeyBytes"/> (values made, not kept).</summary>
    public long TooLong => Interlocked.Read(ref _tooLong);

    /// <summary>Counts a key folded or refused for its length by the table's owner, before it reached the table.</summary>
    public void CountTooLong() => Interlocked.Increment(ref _tooLong);

    /// <summary>The value kept for <paramref name="key"/>, else <paramref name="create"/>'s, kept while there is room and no other add is under way.</summary>
    public TValue GetOrAdd(ReadOnlySpan<byte> key, Factory create)
    {
        var hash = Hash(key);
        var (k0, k1) = Inline(key);
        var found = Find(Volatile.Read(ref _slots), key, hash, k0, k1);
        return found ?? Add(key, hash, k0, k1, create, null);
    }

    /// <summary>The value kept for <paramref name="key"/>, else <paramref name="value"/>, kept as <see cref="GetOrAdd(ReadOnlySpan{byte}, Factory)"/> keeps values.</summary>
    public TValue GetOrAdd(ReadOnlySpan<byte> key, TValue value)
    {
        var hash = Hash(key);
        var (k0, k1) = Inline(key);
        var found = Find(Volatile.Read(ref _slots), key, hash, k0, k1);
        return found ?? Add(key, hash, k0, k1, null, value);
    }

    /// <summary>The value kept for <paramref name="key"/>, if any.</summary>
    public bool TryGet(ReadOnlySpan<byte> key, out TValue value)
    {
        var hash = Hash(key);
        var (k0, k1) = Inline(key);
        value = Find(Volatile.Read(ref _slots), key, hash, k0, k1)!;
        return value is not null;
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

    private TValue Add(ReadOnlySpan<byte> key, ulong hash, ulong k0, ulong k1, Factory? create, TValue? given)
    {
        var value = given ?? create!(key);
        if (key.Length > MaxKeyBytes)
        {
            Interlocked.Increment(ref _tooLong);
            return value;
        }

        var entryBytes = (key.Length > InlineBytes ? KeyArrayBytes(key.Length) : 0) + (_valueBytes?.Invoke(value) ?? 0);
        if (Capacity == 0 || SlotArrayBytes(InitialSlots) + entryBytes > ByteCapacity)
        {
            Interlocked.Increment(ref _overflow);
            return value;
        }

        // Ingest never waits for another writer's add: first sights of keys do meet here (7
        // contentions in 20 s of e2e with 1,000 streams, benchmarks/README.md "Contention").
        // When the lock is busy, this entry uses the value it made, unkept, and a later sight
        // of the key keeps it.
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

            // Half full at most, so that probes stay short. Growing allocates the doubled array
            // while the current one (counted in _bytes) is still held: the peak counts both.
            var grow = (_count + 1) * 2 > slots.Length;
            var peak = _bytes + entryBytes + (grow ? SlotArrayBytes(slots.Length * 2) : 0);
            if (_count >= Capacity || peak > ByteCapacity)
            {
                // A new generation: readers still on the old array finish there.
                slots = new Slot[InitialSlots];
                Volatile.Write(ref _slots, slots);
                Volatile.Write(ref _count, 0);
                Volatile.Write(ref _bytes, SlotArrayBytes(InitialSlots));
                Interlocked.Increment(ref _resets);
                grow = false;
            }

            if (grow)
            {
                var old = SlotArrayBytes(slots.Length);
                slots = Grow(slots);
                Volatile.Write(ref _bytes, _bytes - old + SlotArrayBytes(slots.Length));
            }

            Insert(slots, hash, key.Length, k0, k1, key.Length > InlineBytes ? key.ToArray() : null, value);
            Volatile.Write(ref _bytes, _bytes + entryBytes);
            Volatile.Write(ref _count, _count + 1);
            return value;
        }
        finally
        {
            _writeLock.Exit();
        }
    }

    /// <summary>The bytes of a slot array of <paramref name="slots"/> slots, header included.</summary>
    internal static long SlotArrayBytes(int slots) => ArrayOverhead + ((long)slots * SlotBytes);

    /// <summary>The bytes of a kept long key's array: header and the bytes rounded up to the 8-byte allocation unit.</summary>
    internal static long KeyArrayBytes(int length) => ArrayOverhead + ((length + 7L) & ~7L);

    /// <summary>Slots of the current generation's array.</summary>
    internal int SlotCount => Volatile.Read(ref _slots).Length;

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
