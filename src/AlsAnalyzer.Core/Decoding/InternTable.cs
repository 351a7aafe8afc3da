using System.Buffers;
using System.Text;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// A bounded table of strings looked up by their UTF-8 bytes, so that names repeated in every
/// entry (clusters, IPs, endpoints) cost a hash of a few bytes and one comparison: no decoding,
/// no allocation. Past <see cref="Capacity"/> entries new strings are returned without being
/// kept (and counted). See <see cref="ByteKeyTable{TValue}"/>.
/// </summary>
internal sealed class InternTable(int capacity)
{
    private const int StackLimit = 512;

    private readonly ByteKeyTable<string> _table = new(capacity);

    public int Capacity => _table.Capacity;

    public int Count => _table.Count;

    /// <summary>Strings returned without being kept because the table was full.</summary>
    public long Overflow => _table.Overflow;

    /// <summary>Interns UTF-8 bytes (invalid sequences become U+FFFD, as the generated parser decodes them).</summary>
    public string InternUtf8(ReadOnlySpan<byte> utf8) => utf8.IsEmpty ? string.Empty : _table.GetOrAdd(utf8, Decode);

    /// <summary>
    /// An HTTP endpoint, <c>METHOD /path</c>, interned by the method's enum value and the path's
    /// bytes: the string is built only the first time.
    /// </summary>
    public string InternEndpoint(int method, ReadOnlySpan<byte> path)
    {
        var length = path.Length + 1;
        byte[]? rented = null;
        var key = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            // Method values are the RequestMethod enum's (0-9); anything else is named "-" anyway.
            key[0] = (byte)Math.Clamp(method, 0, 255);
            path.CopyTo(key[1..]);
            return _table.GetOrAdd(key[..length], Endpoint);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static string Decode(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);

    private static string Endpoint(ReadOnlySpan<byte> key) =>
        string.Concat(Analysis.EntryAnalyzer.MethodName(key[0]), " ", Encoding.UTF8.GetString(key[1..]));
}
