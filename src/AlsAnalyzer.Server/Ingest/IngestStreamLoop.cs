using System.Diagnostics.CodeAnalysis;
using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Ingest;
using Grpc.Core;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// The read loop of every ingest stream, access logs and metrics alike. Each message is handed
/// to the service's handler, which analyses it synchronously: the loop waits on nothing but
/// the stream. A malformed message is counted (and logged once per stream) and the stream goes
/// on; an oversized one ends it with RESOURCE_EXHAUSTED, and a first message without
/// identifier with INVALID_ARGUMENT, so the proxy reconnects and identifies itself. A proxy
/// that goes away mid-stream is not an error: every message read so far was counted.
/// </summary>
internal sealed class IngestStreamLoop(IngestStreamMetrics metrics, ILogger<IngestStreamLoop> logger)
{
    public async Task RunAsync<TRequest, TStream>(
        IAsyncStreamReader<TRequest> requests,
        ServerCallContext context,
        string api,
        IIngestHandler<TRequest, TStream> handler)
        where TStream : IdentifiedStream
    {
        metrics.StreamOpened(api);
        var stream = handler.OpenStream();
        var malformed = 0;
        try
        {
            while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
            {
                var request = requests.Current;
                metrics.MessageReceived(handler.PayloadBytes(request));
                var result = handler.Handle(request, stream);
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
        catch (Exception ex) when (ex is IOException or OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            Log.StreamAborted(logger, context.Peer, api);
        }
        finally
        {
            (stream as IDisposable)?.Dispose();
            metrics.StreamClosed(api);
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
