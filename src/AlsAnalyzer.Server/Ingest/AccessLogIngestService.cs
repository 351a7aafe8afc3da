using System.Diagnostics;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Server.Metrics;
using Envoy.Service.Accesslog.V3;
using Grpc.Core;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// One read loop per Envoy stream. The identifier comes on a stream's first message only and
/// is parsed once into the stream's reporter identity; a later identifier replaces it (a relay
/// may multiplex proxies). Each message is analysed synchronously into the current
/// processor's aggregation shard: the loop waits on nothing but the stream.
/// </summary>
internal sealed class AccessLogIngestService(
    EntryAnalyzer analyzer,
    Aggregator aggregator,
    IngestMetrics metrics,
    TimeProvider time,
    ILogger<AccessLogIngestService> logger)
{
    public const string ApiV3 = "accesslog_v3";
    public const string ApiV2 = "accesslog_v2";

    private static readonly StreamAccessLogsResponse Response = new();

    public async Task<StreamAccessLogsResponse> StreamAccessLogs(
        IAsyncStreamReader<IngestMessage<StreamAccessLogsMessage>> requests,
        ServerCallContext context,
        string api)
    {
        metrics.StreamOpened(api);
        var tally = new IngestTally();
        TcpConnectionTracker? connections = null;
        StreamIdentity? identity = null;
        var malformed = 0;
        try
        {
            while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
            {
                var start = Stopwatch.GetTimestamp();
                var message = requests.Current;
                metrics.MessageReceived(message.PayloadBytes);
                if (message.Message is not { } parsed)
                {
                    metrics.MessageRejected("malformed");
                    if (malformed++ == 0)
                    {
                        Log.MalformedMessage(logger, context.Peer, api, message.Error ?? string.Empty);
                    }

                    continue;
                }

                if (parsed.Identifier is { } id)
                {
                    identity = StreamIdentityParser.Parse(id.Node, id.LogName);
                    Log.StreamIdentified(logger, context.Peer, api, identity.Role, identity.Node.Id, identity.Instance);
                }

                if (identity is null)
                {
                    RejectUnidentified(parsed, tally, context.Peer, api);
                }

                if (parsed.LogEntriesCase == StreamAccessLogsMessage.LogEntriesOneofCase.TcpLogs)
                {
                    connections ??= new TcpConnectionTracker();
                }

                Analyze(identity, parsed, tally, connections);
                metrics.Add(tally);
                tally.Clear();
                metrics.ObserveMessageDuration(Stopwatch.GetElapsedTime(start));
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

    private void Analyze(StreamIdentity identity, StreamAccessLogsMessage message, IngestTally tally, TcpConnectionTracker? connections)
    {
        var clock = new EntryClock(time.GetUtcNow(), analyzer.Settings);
        var shard = aggregator.CurrentShard;
        lock (shard.Sync)
        {
            switch (message.LogEntriesCase)
            {
                case StreamAccessLogsMessage.LogEntriesOneofCase.HttpLogs:
                    foreach (var entry in message.HttpLogs.LogEntry)
                    {
                        analyzer.AnalyzeHttp(identity, entry, clock, tally, shard);
                    }

                    break;
                case StreamAccessLogsMessage.LogEntriesOneofCase.TcpLogs:
                    foreach (var entry in message.TcpLogs.LogEntry)
                    {
                        analyzer.AnalyzeTcp(identity, entry, clock, tally, shard, connections!);
                    }

                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>
    /// A stream whose first message has no identifier cannot be attributed: its entries are
    /// counted as rejected and the stream ends with INVALID_ARGUMENT, so the proxy reconnects
    /// and sends its identifier on the new stream. Other streams are untouched.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void RejectUnidentified(StreamAccessLogsMessage message, IngestTally tally, string peer, string api)
    {
        long count = message.LogEntriesCase switch
        {
            StreamAccessLogsMessage.LogEntriesOneofCase.HttpLogs => message.HttpLogs.LogEntry.Count,
            StreamAccessLogsMessage.LogEntriesOneofCase.TcpLogs => message.TcpLogs.LogEntry.Count,
            _ => 0,
        };
        tally.Received += count;
        tally.Reject(RejectReason.MissingIdentifier, count);
        metrics.Add(tally);
        metrics.MessageRejected("missing_identifier");
        Log.MissingIdentifier(logger, peer, api, count);
        throw new RpcException(new Status(
            StatusCode.InvalidArgument,
            "The first StreamAccessLogsMessage of a stream must carry an identifier (node); its entries were rejected."));
    }
}
