using System.Text;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// A bounded table of strings looked up by their UTF-8 bytes, so that names repeated in every
/// entry (clusters, IPs, endpoints) cost a hash of a few bytes and one comparison: no decoding,
/// no allocation. Past <see cref="Capacity"/> entries new strings are returned without being
/// kept (and counted). See <see cref="ByteKeyTable{TValue}"/>.
/// </summary>
internal sealed class InternTable(int capacity) : ICountedTable
{
    private readonly ByteKeyTable<string> _table = new(capacity);

    public int Capacity => _table.Capacity;

    public int Count => _table.Count;

    /// <summary>Strings returned without being kept because the table was full.</summary>
    public long Overflow => _table.Overflow;

    /// <summary>Interns UTF-8 bytes (invalid sequences become U+FFFD, as the generated parser decodes them).</summary>
    public string InternUtf8(ReadOnlySpan<byte> utf8) => utf8.IsEmpty ? string.Empty : _table.GetOrAdd(utf8, Decode);

    private static string Decode(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);
}
