using System.Diagnostics;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Ingest;
using AlsAnalyzer.Server.Metrics;
using Envoy.Service.Accesslog.V3;
using Grpc.Core;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// One read loop per Envoy stream. The identifier comes on a stream's first message only and
/// is parsed once into the stream's reporter identity; a later identifier replaces it (a relay
/// may multiplex proxies). Each message is handed to the pipeline, which analyses it
/// synchronously into an aggregation shard it claims without a lock: the loop waits on
/// nothing but the stream.
/// </summary>
internal sealed class AccessLogIngestService(
    IAccessLogPipeline pipeline,
    IngestMetrics metrics,
    ILogger<AccessLogIngestService> logger)
{
    public const string ApiV3 = "accesslog_v3";
    public const string ApiV2 = "accesslog_v2";

    private static readonly StreamAccessLogsResponse Response = new();

    public async Task<StreamAccessLogsResponse> StreamAccessLogs(
        IAsyncStreamReader<RawPayload> requests,
        ServerCallContext context,
        string api)
    {
        metrics.StreamOpened(api);
        var tally = new IngestTally();
        var stream = new AccessLogStreamState();
        var malformed = 0;
        try
        {
            while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
            {
                var start = Stopwatch.GetTimestamp();
                MessageResult result;
                using (var payload = requests.Current)
                {
                    metrics.MessageReceived(payload.Length);
                    result = pipeline.Process(payload.Span, stream, tally);
                }

                if (stream.IdentityChanged && stream.Identity is { } identity)
                {
                    stream.IdentityChanged = false;
                    Log.StreamIdentified(logger, context.Peer, api, identity.Role, identity.Node.Id, identity.Instance);
                }

                metrics.Add(tally);
                tally.Clear();
                switch (result.Status)
                {
                    case MessageStatus.Malformed:
                        metrics.MessageRejected("malformed");
                        if (malformed++ == 0)
                        {
                            Log.MalformedMessage(logger, context.Peer, api, result.Error ?? string.Empty);
                        }

                        continue;
                    case MessageStatus.MissingIdentifier:
                        RejectUnidentified(result.Entries, context.Peer, api);
                        break;
                    default:
                        metrics.ObserveMessageDuration(Stopwatch.GetElapsedTime(start));
                        break;
                }
            }
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
        {
            metrics.MessageRejected("oversized");
            Log.OversizedMessage(logger, context.Peer, api, ex.Status.Detail);
            throw;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            // The proxy went away mid-stream; every message read so far was counted.
            Log.StreamAborted(logger, context.Peer, api);
        }
        finally
        {
            metrics.StreamClosed(api);
        }

        return Response;
    }

    /// <summary>
    /// A stream whose first message has no identifier cannot be attributed: its entries were
    /// counted as rejected, and the stream ends with INVALID_ARGUMENT so the proxy reconnects
    /// and sends its identifier on the new stream. Other streams are untouched.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void RejectUnidentified(long count, string peer, string api)
    {
        metrics.MessageRejected("missing_identifier");
        Log.MissingIdentifier(logger, peer, api, count);
        throw new RpcException(new Status(
            StatusCode.InvalidArgument,
            "The first StreamAccessLogsMessage of a stream must carry an identifier (node); its entries were rejected."));
    }
}
