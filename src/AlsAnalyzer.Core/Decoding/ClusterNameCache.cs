using System.Collections.Concurrent;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// The reference decoder's parsed cluster names, by their string: a mesh has a bounded set of
/// them and every entry names one, so parsing (which splits strings) happens once per name.
/// Past <see cref="Capacity"/> names are parsed for the entry and not kept (counted in
/// <see cref="Overflow"/>), like the fast path's byte-keyed tables.
/// </summary>
internal sealed class ClusterNameCache(int capacity, long maxBytes = long.MaxValue) : ICountedTable
{
    // A dictionary entry's own bytes besides the key string (node, hash, references).
    private const int EntryBytes = 64;

    private readonly ConcurrentDictionary<string, ParsedCluster> _cache = new(StringComparer.Ordinal);

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

    /// <summary>Names parsed without being kept: one alone passes the bounds.</summary>
    public long Overflow => Interlocked.Read(ref _overflow);

    /// <summary>Times the cache was emptied to stay within its bounds.</summary>
    public long Resets => Interlocked.Read(ref _resets);

    /// <summary>Names longer than <see cref="DecodeLimits.MaxKeyBytes"/> characters, parsed per entry and not kept.</summary>
    public long TooLong => Interlocked.Read(ref _tooLong);

    public ParsedCluster Parse(string name)
    {
        if (name.Length == 0)
        {
            return ClusterNames.Empty;
        }

        if (_cache.TryGetValue(name, out var parsed))
        {
            return parsed;
        }

        parsed = ClusterNames.Create(name);
        if (name.Length > DecodeLimits.MaxKeyBytes)
        {
            Interlocked.Increment(ref _tooLong);
            return parsed;
        }

        var bytes = EntryBytes + DecodeLimits.StringBytes(name) + ParsedClusterBytes(parsed);
        if (capacity == 0 || bytes > maxBytes)
        {
            Interlocked.Increment(ref _overflow);
            return parsed;
        }

        if (Volatile.Read(ref _count) >= capacity || Interlocked.Read(ref _bytes) + bytes > maxBytes)
        {
            // A new generation, as the byte-keyed tables start one: names in use come back.
            // Racing adds may leave the counts a little off until the next reset; they only
            // decide when that comes.
            _cache.Clear();
            Volatile.Write(ref _count, 0);
            Interlocked.Exchange(ref _bytes, 0);
            Interlocked.Increment(ref _resets);
        }

        if (_cache.TryAdd(name, parsed))
        {
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _bytes, bytes);
        }

        return parsed;
    }

    /// <summary>A parsed cluster's own bytes besides its name (its host and the node's names are copies of parts of it).</summary>
    internal static long ParsedClusterBytes(ParsedCluster parsed) => 96 + (4L * parsed.Name.Length);
}
