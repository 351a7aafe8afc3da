using System.Collections.Concurrent;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// The reference decoder's parsed cluster names, by their string: a mesh has a bounded set of
/// them and every entry names one, so parsing (which splits strings) happens once per name.
/// Past <see cref="Capacity"/> names are parsed for the entry and not kept (counted in
/// <see cref="Overflow"/>), like the fast path's byte-keyed tables.
/// </summary>
internal sealed class ClusterNameCache(int capacity) : ICountedTable
{
    private readonly ConcurrentDictionary<string, ParsedCluster> _cache = new(StringComparer.Ordinal);

    // Counted here: ConcurrentDictionary.Count takes every bucket lock.
    private int _count;
    private long _overflow;

    public int Capacity => capacity;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Names parsed without being kept because the cache was full.</summary>
    public long Overflow => Interlocked.Read(ref _overflow);

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
        if (Volatile.Read(ref _count) >= capacity)
        {
            Interlocked.Increment(ref _overflow);
        }
        else if (_cache.TryAdd(name, parsed))
        {
            Interlocked.Increment(ref _count);
        }

        return parsed;
    }
}
