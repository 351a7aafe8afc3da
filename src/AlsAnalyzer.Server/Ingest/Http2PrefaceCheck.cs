using System.Buffers;
using Microsoft.AspNetCore.Connections;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// Connection middleware on the ingest port: a connection must open with the HTTP/2 client
/// preface within a timeout. Anything else (garbage, HTTP/1.1, TLS to a cleartext port) is
/// counted, logged once, and closed before Kestrel's HTTP/2 parser sees it. The bytes are
/// only peeked, never consumed, so Kestrel reads the preface itself.
/// </summary>
internal sealed class Http2PrefaceCheck(IngestStreamMetrics metrics, ILogger<Http2PrefaceCheck> logger, TimeSpan timeout)
{
    private static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public async Task InvokeAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var input = connection.Transport.Input;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        cts.CancelAfter(timeout);
        string? reason = null;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(cts.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                var verdict = Check(buffer);
                if (verdict == Verdict.Ok)
                {
                    // Consume and examine nothing: Kestrel's next read returns these bytes at once.
                    input.AdvanceTo(buffer.Start);
                    break;
                }

                if (verdict == Verdict.Bad)
                {
                    input.AdvanceTo(buffer.Start);
                    reason = ConnectionRejectReasons.NotHttp2;
                    break;
                }

                if (result.IsCompleted)
                {
                    input.AdvanceTo(buffer.Start, buffer.End);

                    // Closed before a whole preface: garbage if it sent anything, else a plain probe.
                    reason = buffer.Length > 0 ? ConnectionRejectReasons.NotHttp2 : null;
                    if (reason is null)
                    {
                        return;
                    }

                    break;
                }

                // A prefix of the preface so far: wait for more.
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (OperationCanceledException) when (!connection.ConnectionClosed.IsCancellationRequested)
        {
            reason = ConnectionRejectReasons.PrefaceTimeout;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (reason is not null)
        {
            metrics.ConnectionRejected(reason);
            Log.ConnectionRejected(logger, connection.RemoteEndPoint?.ToString() ?? "unknown", reason);
            connection.Abort(new ConnectionAbortedException("Not an HTTP/2 connection: " + reason));
            return;
        }

        await next(connection).ConfigureAwait(false);
    }

    private enum Verdict
    {
        NeedMore,
        Ok,
        Bad,
    }

    private static Verdict Check(ReadOnlySequence<byte> buffer)
    {
        var length = (int)Math.Min(buffer.Length, Preface.Length);
        Span<byte> head = stackalloc byte[24];
        buffer.Slice(0, length).CopyTo(head);
        if (!head[..length].SequenceEqual(Preface[..length]))
        {
            return Verdict.Bad;
        }

        return length == Preface.Length ? Verdict.Ok : Verdict.NeedMore;
    }
}
