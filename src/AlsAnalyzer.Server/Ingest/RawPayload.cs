using System.Buffers;
using Grpc.Core;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// A message's payload, copied out of the gRPC receive buffer (valid only during
/// deserialization) into a pooled array, so the stream's pipeline can read it with the
/// stream's state. Return it with <see cref="Dispose"/> once processed.
/// </summary>
internal sealed class RawPayload : IDisposable
{
    private byte[]? _buffer;

    private RawPayload(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlySpan<byte> Span => _buffer is { } b ? b.AsSpan(0, Length) : throw new ObjectDisposedException(nameof(RawPayload));

    public static Marshaller<RawPayload> Marshaller { get; } = new(
        static (_, _) => throw new NotSupportedException("The server never sends ingest requests."),
        static context =>
        {
            var payload = context.PayloadAsReadOnlySequence();
            var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(1, payload.Length));
            payload.CopyTo(buffer);
            return new RawPayload(buffer, (int)payload.Length);
        });

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } b)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
    }
}
