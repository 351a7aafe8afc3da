namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// FNV-1a over UTF-8 bytes: both decoders hash the same bytes (the fast one straight from the
/// payload), so a connection has the same key whichever decoded it.
/// </summary>
internal struct ConnectionKey
{
    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    private ulong _hash;

    private static ConnectionKey Start() => new() { _hash = Offset };

    /// <summary>The key of a connection Envoy gave a stream id.</summary>
    public static ulong ForStreamId(ReadOnlySpan<byte> streamId)
    {
        var key = Start();
        key.Add(1);
        key.Add(streamId);
        return key.Value;
    }

    /// <summary>The key of a connection without stream id: its downstream peer and start time.</summary>
    public static ulong ForPeer(ReadOnlySpan<byte> ip, uint port, long startSeconds, int startNanos)
    {
        var key = Start();
        key.Add(2);
        key.Add(ip);
        key.Add(port);
        key.Add((ulong)startSeconds);
        key.Add((ulong)startNanos);
        return key.Value;
    }

    private readonly ulong Value => _hash == 0 ? 1 : _hash;

    private void Add(ReadOnlySpan<byte> bytes)
    {
        var h = _hash;
        foreach (var b in bytes)
        {
            h = (h ^ b) * Prime;
        }

        _hash = h;
    }

    private void Add(ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        Add(bytes);
    }
}
