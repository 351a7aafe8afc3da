using System.Collections.Concurrent;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// Values made from a string once and kept by it, shared by every stream, bounded in keys and
/// bytes like the byte-keyed decode tables: past either bound the cache starts empty again (a
/// new generation, <see cref="Resets"/>), keys in use come back; a key longer than
/// <see cref="DecodeLimits.MaxKeyBytes"/> (<see cref="TooLong"/>) or one that alone passes the
/// byte bound (<see cref="Overflow"/>) is made per entry and not kept.
/// </summary>
internal abstract class BoundedStringCache<T>(int capacity, long maxBytes) : ICountedTable
{
    // A dictionary entry's own bytes besides the key string (node, hash, references).
    private const int EntryBytes = 64;

    private readonly ConcurrentDictionary<string, T> _cache = new(StringComparer.Ordinal);

    // Counted here: ConcurrentDictionary.Count takes every bucket lock.
    private int _count;
    private long _bytes;
    private long _overflow;
    private long _resets;
    private long _tooLong;

    public int Capacity => capacity;

    public int Count => Volatile.Read(ref _count);

    public long Bytes => Interlocked.Read(ref _bytes);

    public long ByteCapacity => maxBytes;

    public long Overflow => Interlocked.Read(ref _overflow);

    public long Resets => Interlocked.Read(ref _resets);

    public long TooLong => Interlocked.Read(ref _tooLong);

    /// <summary>The value of <paramref name="key"/>: kept, or made now and kept while the bounds allow.</summary>
    protected T GetOrCreate(string key)
    {
        if (_cache.TryGetValue(key, out var value))
        {
            return value;
        }

        value = Create(key);
        if (key.Length > DecodeLimits.MaxKeyBytes)
        {
            Interlocked.Increment(ref _tooLong);
            return value;
        }

        var bytes = EntryBytes + DecodeLimits.StringBytes(key) + ValueBytes(value);
        if (capacity == 0 || bytes > maxBytes)
        {
            Interlocked.Increment(ref _overflow);
            return value;
        }

        if (Volatile.Read(ref _count) >= capacity || Interlocked.Read(ref _bytes) + bytes > maxBytes)
        {
            // Racing adds may leave the counts a little off until the next reset; they only
            // decide when that comes.
            _cache.Clear();
            Volatile.Write(ref _count, 0);
            Interlocked.Exchange(ref _bytes, 0);
            Interlocked.Increment(ref _resets);
        }

        if (_cache.TryAdd(key, value))
        {
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _bytes, bytes);
        }

        return value;
    }

    /// <summary>Makes the value of <paramref name="key"/>.</summary>
    protected abstract T Create(string key);

    /// <summary>The value's own bytes besides the key string.</summary>
    protected abstract long ValueBytes(T value);
}
