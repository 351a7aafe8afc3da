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

    private static string Decode(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);
}
