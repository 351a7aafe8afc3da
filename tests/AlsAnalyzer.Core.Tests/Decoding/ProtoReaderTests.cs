using AlsAnalyzer.Core.Decoding;
using Google.Protobuf;

namespace AlsAnalyzer.Core.Tests.Decoding;

public sealed class ProtoReaderTests
{
    public static TheoryData<int> TailLengths() => [.. Enumerable.Range(0, 12)];

    [Theory]
    [MemberData(nameof(TailLengths))]
    public void Varint_EveryLength_ReadsTheValueAndStopsAfterIt(int tail)
    {
        // With 0-11 bytes after it, a varint is read by each of the reader's paths (one or two
        // bytes, ten at once, byte by byte); the bytes after it are one-byte varints, all of
        // which must still be there.
        foreach (var value in Values())
        {
            var bytes = Encode(value).Concat(Enumerable.Repeat((byte)1, tail)).ToArray();
            var r = new ProtoReader(bytes);
            Assert.Equal(value, r.Varint());
            for (var i = 0; i < tail; i++)
            {
                Assert.Equal(1UL, r.Varint());
            }

            Assert.False(r.Failed, $"value {value}, tail {tail}");
            Assert.False(r.NextField(out _, out _));
        }
    }

    [Theory]
    [MemberData(nameof(TailLengths))]
    public void Varint_BytesAfterIt_DoNotLeakIntoTheValue(int tail)
    {
        foreach (var value in Values())
        {
            var bytes = Encode(value).Concat(Enumerable.Repeat((byte)0xFF, tail)).ToArray();
            var r = new ProtoReader(bytes);
            Assert.Equal(value, r.Varint());
            Assert.False(r.Failed);
        }
    }

    [Theory]
    [InlineData(10)]
    [InlineData(11)]
    [InlineData(16)]
    public void Varint_TenContinuationBytes_Fails(int length)
    {
        var r = new ProtoReader(Enumerable.Repeat((byte)0xFF, length).ToArray());
        _ = r.Varint();
        Assert.True(r.Failed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(9)]
    public void Varint_TruncatedAtTheEnd_Fails(int length)
    {
        var r = new ProtoReader(Enumerable.Repeat((byte)0x80, length).ToArray());
        _ = r.Varint();
        Assert.True(r.Failed);
    }

    private static IEnumerable<ulong> Values()
    {
        var random = new Random(11);
        for (var bits = 0; bits < 64; bits++)
        {
            var power = 1UL << bits;
            yield return power;
            yield return power - 1;
            yield return power | (ulong)random.NextInt64() & (power - 1);
        }

        yield return ulong.MaxValue;

        // A negative int32 is sign-extended to ten bytes on the wire.
        yield return unchecked((ulong)(long)int.MinValue);
    }

    private static byte[] Encode(ulong value)
    {
        using var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer, leaveOpen: true))
        {
            output.WriteUInt64(value);
        }

        return buffer.ToArray();
    }
}
