using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Ingest;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// The read loop of every ingest stream, access logs and metrics alike. Each message is handed
/// to the service's handler, which analyses it synchronously: the loop waits on nothing but
/// the stream. A malformed message is counted (and logged once per stream) and the stream goes
/// on; an oversized one ends it with RESOURCE_EXHAUSTED, a frame that cannot be read (see
/// <see cref="FrameErrors"/>) with the status it names, and a first message without
/// identifier with INVALID_ARGUMENT, so the proxy reconnects and identifies itself. A proxy
/// that goes away mid-stream is not an error: every message read so far was counted. When the
/// server shuts down (<see cref="IngestDrain"/>), the loop reads what the proxy already sent,
/// analyses it, and ends the stream with UNAVAILABLE.
/// </summary>
internal sealed class IngestStreamLoop(IngestStreamMetrics metrics, IngestDrain drain, IOptions<IngestOptions> options, ILogger<IngestStreamLoop> logger)
{
    /// <summary>The status detail of a stream ended by a shutdown: the proxy should reconnect, to another replica if there is one.</summary>
    public const string ShuttingDownDetail = "AlsAnalyzer is shutting down; every message received on this stream was analysed. Reconnect.";

    public async Task RunAsync<TRequest, TStream>(
        IAsyncStreamReader<TRequest> requests,
        ServerCallContext context,
        string api,
        IIngestHandler<TRequest, TStream> handler)
        where TStream : IdentifiedStream
    {
        metrics.StreamOpened(api);
        drain.StreamOpened();
        var stream = handler.OpenStream();
        var malformed = 0;

        // One linked source per stream (not per message): a read ends when the client goes away
        // or when the shutdown begins.
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, drain.Draining);
        try
        {
            while (await NextAsync(requests, context, reading.Token).ConfigureAwait(false))
            {
                var request = requests.Current;
                metrics.MessageReceived(handler.PayloadBytes(request));
                var result = handler.Handle(request, stream);
                drain.MessageHandled(result.Entries, reading.IsCancellationRequested);
                if (stream.IdentityChanged && stream.Identity is { } identity)
                {
                    stream.IdentityChanged = false;
                    Log.StreamIdentified(logger, context.Peer, api, identity.Role, identity.Node.Id, identity.Instance);
                }

                switch (result.Status)
                {
                    case MessageStatus.Malformed:
                        metrics.MessageRejected(MessageRejectReasons.Malformed);
                        if (malformed++ == 0)
                        {
                            Log.MalformedMessage(logger, context.Peer, api, result.Error ?? string.Empty);
                        }

                        break;
                    case MessageStatus.MissingIdentifier:
                        RejectUnidentified(result.Entries, context.Peer, api, handler.MissingIdentifierDetail);
                        break;
                }
            }
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
        {
            metrics.MessageRejected(MessageRejectReasons.Oversized);
            Log.OversizedMessage(logger, context.Peer, api, ex.Status.Detail);
            throw;
        }
        catch (Exception ex) when (!context.CancellationToken.IsCancellationRequested && FrameErrors.Classify(ex, context, options.Value.MaxReceiveMessageBytes) is { } frame)
        {
            metrics.MessageRejected(frame.Reason);
            Log.UnreadableFrame(logger, context.Peer, api, frame.Reason, frame.Status.StatusCode, frame.Status.Detail);
            throw new RpcException(frame.Status);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            Log.StreamAborted(logger, context.Peer, api);
        }
        finally
        {
            drain.StreamClosed();
            (stream as IDisposable)?.Dispose();
            metrics.StreamClosed(api);
        }
    }

    /// <summary>
    /// The next message, or false at the end of the stream. Once the shutdown began, waits at
    /// most <see cref="IngestDrain.NextReadTimeout"/> for it, then ends the stream with
    /// UNAVAILABLE: a read cancelled before a whole message arrived leaves it in the request
    /// pipe unread, so resuming after the signal's cancellation loses nothing.
    /// </summary>
    private async Task<bool> NextAsync<TRequest>(IAsyncStreamReader<TRequest> requests, ServerCallContext context, CancellationToken reading)
    {
        if (!reading.IsCancellationRequested)
        {
            try
            {
                return await requests.MoveNext(reading).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (drain.IsDraining && !context.CancellationToken.IsCancellationRequested)
            {
                // The shutdown began while this stream waited: read on, briefly, below.
            }
        }

        return await DrainNextAsync(requests, context).ConfigureAwait(false);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private async Task<bool> DrainNextAsync<TRequest>(IAsyncStreamReader<TRequest> requests, ServerCallContext context)
    {
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        quiet.CancelAfter(drain.NextReadTimeout());
        try
        {
            return await requests.MoveNext(quiet.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            drain.StreamEndedByDrain();
            throw new RpcException(new Status(StatusCode.Unavailable, ShuttingDownDetail));
        }
    }

    /// <summary>
    /// A stream whose first message has no identifier cannot be attributed: its entries were
    /// counted as rejected by the handler, and the stream ends. Other streams are untouched.
    /// </summary>
    [DoesNotReturn]
    private void RejectUnidentified(long count, string peer, string api, string detail)
    {
        metrics.MessageRejected(MessageRejectReasons.MissingIdentifier);
        Log.MissingIdentifier(logger, peer, api, count);
        throw new RpcException(new Status(StatusCode.InvalidArgument, detail));
    }
}
