using System.Text;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// A bounded table of strings looked up by their UTF-8 bytes, so that names repeated in every
/// entry (clusters, IPs, endpoints) cost a hash of a few bytes and one comparison: no decoding,
/// no allocation. Bounded in keys and bytes (<see cref="ByteKeyTable{TValue}"/>: past either,
/// a new generation). A string longer than <see cref="DecodeLimits.MaxKeyBytes"/> is folded to
/// <see cref="DecodeLimits.TooLong"/> (counted): such a host or SPIFFE id is not a real one.
/// </summary>
internal sealed class InternTable(int capacity, long maxBytes = long.MaxValue) : ICountedTable
{
    private readonly ByteKeyTable<string> _table = new(capacity, maxBytes, DecodeLimits.MaxKeyBytes, DecodeLimits.StringBytes);

    public int Capacity => _table.Capacity;

    public int Count => _table.Count;

    public long Bytes => _table.Bytes;

    public long ByteCapacity => _table.ByteCapacity;

    public long Overflow => _table.Overflow;

    public long Resets => _table.Resets;

    public long TooLong => _table.TooLong;

    /// <summary>Interns UTF-8 bytes (invalid sequences become U+FFFD, as the generated parser decodes them).</summary>
    public string InternUtf8(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > DecodeLimits.MaxKeyBytes)
        {
            _table.CountTooLong();
            return DecodeLimits.TooLong;
        }

        return utf8.IsEmpty ? string.Empty : _table.GetOrAdd(utf8, Decode);
    }

    /// <summary>
    /// The table's instance of a name decoded elsewhere (a peer's or a reporter's, once per
    /// distinct payload or stream), so that the same name from many pods is one reference and
    /// the ingest path compares it by reference. A name too long for the table, or one the
    /// table cannot give back unchanged, is returned as it is.
    /// </summary>
    public string Intern(string name)
    {
        if (name.Length == 0 || name.Length > DecodeLimits.MaxKeyBytes)
        {
            return name;
        }

        Span<byte> utf8 = stackalloc byte[DecodeLimits.MaxKeyBytes];
        if (!Encoding.UTF8.TryGetBytes(name, utf8, out var length))
        {
            return name;
        }

        var interned = _table.GetOrAdd(utf8[..length], Decode);
        return string.Equals(interned, name, StringComparison.Ordinal) ? interned : name;
    }

    private static string Decode(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);
}
