using System.Buffers.Binary;

namespace AlsAnalyzer.Benchmarks.Corpus;

/// <summary>
/// gRPC length-prefixed framing: per message a 5-byte header (compressed flag 0, big-endian
/// length) and the payload. A file of frames is a whole client-streaming request body, as
/// h2load's <c>-d</c> sends it.
/// </summary>
internal static class GrpcFrames
{
    public const int HeaderLength = 5;

    public static byte[] Frame(IEnumerable<byte[]> payloads)
    {
        using var buffer = new MemoryStream();
        Write(buffer, payloads);
        return buffer.ToArray();
    }

    public static void Write(Stream output, IEnumerable<byte[]> payloads)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        foreach (var payload in payloads)
        {
            header[0] = 0;
            BinaryPrimitives.WriteUInt32BigEndian(header[1..], (uint)payload.Length);
            output.Write(header);
            output.Write(payload);
        }
    }

    /// <summary>Splits a body of frames into payloads; throws on a truncated or compressed frame.</summary>
    public static List<byte[]> Read(ReadOnlySpan<byte> body)
    {
        var payloads = new List<byte[]>();
        while (body.Length > 0)
        {
            if (body.Length < HeaderLength)
            {
                throw new InvalidDataException("truncated gRPC frame header");
            }

            if (body[0] != 0)
            {
                throw new InvalidDataException("compressed gRPC frames are not supported");
            }

            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(body[1..]);
            if (body.Length < HeaderLength + length)
            {
                throw new InvalidDataException("truncated gRPC frame");
            }

            payloads.Add(body.Slice(HeaderLength, length).ToArray());
            body = body[(HeaderLength + length)..];
        }

        return payloads;
    }
}
