using System.Buffers;
using System.Text;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// HTTP endpoints, <c>METHOD /path</c>, in two byte-keyed tables (keys: a method byte, then a
/// path; not UTF-8 text, so they must not meet the <see cref="InternTable"/>'s):
/// <list type="bullet">
/// <item>the endpoints themselves, by grouped path (<see cref="EndpointGrouping"/>): one string
/// per endpoint, however many ids its paths carry;</item>
/// <item>a cache from raw paths to them (<see cref="Paths"/>), so that a path seen before costs
/// one lookup and no grouping - the steady state of every entry. Raw paths with ids fill it
/// with keys that each come back rarely; it is bounded like every table (a new generation past
/// its bounds), and a miss costs a grouping pass over the path and a second lookup.</item>
/// </list>
/// Paths longer than <see cref="RawKeyLimit"/> are grouped per sight, never cached.
/// </summary>
internal sealed class EndpointTable : ICountedTable
{
    /// <summary>The longest raw path cached (longer ones are grouped per entry).</summary>
    public const int RawKeyLimit = 1024;

    private const int StackLimit = 512;

    private readonly ByteKeyTable<string> _endpoints;
    private readonly ByteKeyTable<string> _paths;
    private readonly EndpointGrouping _grouping;

    /// <param name="capacity">Endpoints kept, and raw paths cached, at most.</param>
    /// <param name="maxBytes">Bytes each of the two tables holds at most.</param>
    public EndpointTable(int capacity, EndpointGrouping? grouping = null, long maxBytes = long.MaxValue)
    {
        _grouping = grouping ?? EndpointGrouping.Default;
        _endpoints = new(capacity, maxBytes, int.MaxValue, DecodeLimits.StringBytes);

        // Its values are the endpoints' strings, shared: they count in the endpoints' table.
        _paths = new(capacity, maxBytes, RawKeyLimit + 1);
    }

    public int Capacity => _endpoints.Capacity;

    public int Count => _endpoints.Count;

    public long Bytes => _endpoints.Bytes;

    public long ByteCapacity => _endpoints.ByteCapacity;

    public long Overflow => _endpoints.Overflow;

    public long Resets => _endpoints.Resets;

    /// <summary>Endpoints cut at the grouping's length limit (counted per raw path grouped).</summary>
    public long TooLong => _endpoints.TooLong;

    /// <summary>The raw path cache.</summary>
    public ICountedTable Paths => _paths;

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
            var raw = key[..length];
            if (_paths.TryGet(raw, out var endpoint))
            {
                return endpoint;
            }

            endpoint = Grouped(raw);
            return length <= RawKeyLimit + 1 ? _paths.GetOrAdd(raw, endpoint) : endpoint;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private string Grouped(ReadOnlySpan<byte> raw)
    {
        var size = 1 + _grouping.MaxLength;
        byte[]? rented = null;
        var key = size <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(size));
        try
        {
            key[0] = raw[0];
            var n = _grouping.Group(raw[1..], key[1..], out var truncated);
            if (truncated)
            {
                _endpoints.CountTooLong();
            }

            return _endpoints.GetOrAdd(key[..(n + 1)], Endpoint);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static string Endpoint(ReadOnlySpan<byte> key) => string.Concat(EntryFields.MethodName(key[0]), " ", Encoding.UTF8.GetString(key[1..]));
}
