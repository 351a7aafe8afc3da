namespace AlsAnalyzer.Core.Analysis;

/// <summary>
/// FNV-1a over UTF-8 bytes: both decoders hash the same bytes (the fast one straight from the
/// payload), so a connection has the same key whichever decoded it.
/// </summary>
internal struct ConnectionKey
{
    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    private ulong _hash;

    public static ConnectionKey Start() => new() { _hash = Offset };

    public readonly ulong Value => _hash == 0 ? 1 : _hash;

    public void Add(ReadOnlySpan<byte> bytes)
    {
        var h = _hash;
        foreach (var b in bytes)
        {
            h = (h ^ b) * Prime;
        }

        _hash = h;
    }

    public void Add(ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        Add(bytes);
    }

    public void Add(string text)
    {
        Span<byte> buffer = stackalloc byte[256];
        var bytes = System.Text.Encoding.UTF8.GetByteCount(text) <= buffer.Length ? buffer : new byte[System.Text.Encoding.UTF8.GetByteCount(text)];
        var n = System.Text.Encoding.UTF8.GetBytes(text, bytes);
        Add(bytes[..n]);
    }
}
