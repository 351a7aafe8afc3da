using System.Buffers.Binary;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>Up to 16 bytes held as two words: the key of a <see cref="ByteKeyTable{TValue}"/> slot, an inline <see cref="Analysis.IpText"/>.</summary>
internal static class ShortBytes
{
    public const int Max = 16;

    /// <summary>
    /// <paramref name="b"/> (at most <see cref="Max"/> bytes) as two little-endian words,
    /// zero-padded, read with overlapping loads instead of a copy into a padded buffer.
    /// </summary>
    public static (ulong Lo, ulong Hi) Pack(ReadOnlySpan<byte> b)
    {
        var n = b.Length;
        if (n >= 8)
        {
            var lo = BinaryPrimitives.ReadUInt64LittleEndian(b);

            // The last 8 bytes end at n; bytes 8..n-1 are their top n-8.
            var hi = n == 8 ? 0 : BinaryPrimitives.ReadUInt64LittleEndian(b[(n - 8)..]) >> ((16 - n) * 8);
            return (lo, hi);
        }

        if (n >= 4)
        {
            // Two overlapping 4-byte loads; overlapping bytes are the same on both sides of the OR.
            ulong first = BinaryPrimitives.ReadUInt32LittleEndian(b);
            ulong last = BinaryPrimitives.ReadUInt32LittleEndian(b[(n - 4)..]);
            return (first | (last << ((n - 4) * 8)), 0);
        }

        ulong small = 0;
        for (var i = 0; i < n; i++)
        {
            small |= (ulong)b[i] << (i * 8);
        }

        return (small, 0);
    }

    /// <summary>The words back as bytes (<paramref name="bytes"/> holds at least <see cref="Max"/>).</summary>
    public static void Unpack(ulong lo, ulong hi, Span<byte> bytes)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, lo);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[8..], hi);
    }
}
