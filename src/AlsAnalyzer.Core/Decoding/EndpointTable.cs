using System.Buffers;
using System.Text;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// HTTP endpoints, <c>METHOD /path</c>, interned by the method's enum value and the path's
/// bytes, so the string is built only the first time. A table of its own: its keys (a method
/// byte, then the path) are not UTF-8 text and must not meet the <see cref="InternTable"/>'s.
/// </summary>
internal sealed class EndpointTable(int capacity) : ICountedTable
{
    private const int StackLimit = 512;

    private readonly ByteKeyTable<string> _table = new(capacity);

    public int Capacity => _table.Capacity;

    public int Count => _table.Count;

    /// <summary>Endpoints returned without being kept because the table was full.</summary>
    public long Overflow => _table.Overflow;

    /// <summary>The endpoint of <paramref name="method"/> (a RequestMethod value) and <paramref name="path"/> (without its query).</summary>
    public string Intern(int method, ReadOnlySpan<byte> path)
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

    /// <summary>
    /// Builds an endpoint on a miss, redacting its path (<see cref="PathRedaction"/>) here rather
    /// than per entry: a hit, the steady state, costs nothing more. Keys stay the raw paths, so
    /// paths that differ only in a redacted part are distinct keys with equal values.
    /// </summary>
    private static string Endpoint(ReadOnlySpan<byte> key)
    {
        var path = key[1..];
        if (PathRedaction.NeedsRedaction(path))
        {
            var redacted = new byte[path.Length];
            path = redacted.AsSpan(0, PathRedaction.Redact(path, redacted));
        }

        return string.Concat(EntryFields.MethodName(key[0]), " ", Encoding.UTF8.GetString(path));
    }
}
