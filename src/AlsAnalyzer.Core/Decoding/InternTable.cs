using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// A bounded table of strings looked up by span, so that names repeated in every entry
/// (clusters, IPs, endpoints) cost a lookup, not an allocation. Lock-free reads
/// (<see cref="ConcurrentDictionary{TKey,TValue}.GetAlternateLookup{TAlternateKey}"/>); past
/// <see cref="Capacity"/> entries new strings are returned without being kept (and counted).
/// </summary>
internal sealed class InternTable
{
    private const int StackLimit = 256;

    private readonly ConcurrentDictionary<string, string> _table = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private long _misses;

    // ConcurrentDictionary.Count takes every bucket lock; a counter of our own keeps the
    // "is the table full" check on a miss lock-free.
    private int _count;

    public InternTable(int capacity)
    {
        Capacity = capacity;
        _lookup = _table.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Capacity { get; }

    public int Count => Volatile.Read(ref _count);

    /// <summary>Strings returned without being kept because the table was full.</summary>
    public long Overflow => Interlocked.Read(ref _misses);

    public string Intern(ReadOnlySpan<char> chars)
    {
        if (chars.IsEmpty)
        {
            return string.Empty;
        }

        if (_lookup.TryGetValue(chars, out var existing))
        {
            return existing;
        }

        var s = chars.ToString();
        if (Volatile.Read(ref _count) < Capacity)
        {
            if (_table.TryAdd(s, s))
            {
                Interlocked.Increment(ref _count);
                return s;
            }

            return _table.TryGetValue(s, out existing) ? existing : s;
        }

        Interlocked.Increment(ref _misses);
        return s;
    }

    /// <summary>Interns UTF-8 bytes (invalid sequences become U+FFFD, as the generated parser decodes them).</summary>
    public string InternUtf8(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return string.Empty;
        }

        var max = Encoding.UTF8.GetMaxCharCount(utf8.Length);
        char[]? rented = null;
        var buffer = max <= StackLimit ? stackalloc char[StackLimit] : (rented = ArrayPool<char>.Shared.Rent(max));
        try
        {
            var n = Encoding.UTF8.GetChars(utf8, buffer);
            return Intern(buffer[..n]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }
}
