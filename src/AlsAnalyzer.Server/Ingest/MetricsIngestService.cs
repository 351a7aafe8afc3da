using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Metrics;
using AlsAnalyzer.Server.Metrics;
using Envoy.Service.Metrics.V3;
using Grpc.Core;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// One read loop per Envoy metrics stream. As for access logs, the identifier comes on the
/// first message only and is parsed once; a later one replaces it. Each message's families
/// are applied to the proxy's state under that proxy's own lock.
/// </summary>
internal sealed class MetricsIngestService(
    ProxyRegistry registry,
    IngestMetrics metrics,
    TimeProvider time,
    ILogger<MetricsIngestService> logger)
{
    public const string ApiV3 = "metrics_v3";
    public const string ApiV2 = "metrics_v2";

    private static readonly StreamMetricsResponse Response = new();

    public async Task<StreamMetricsResponse> StreamMetrics(
        IAsyncStreamReader<IngestMessage<StreamMetricsMessage>> requests,
        ServerCallContext context,
        string api)
    {
        metrics.StreamOpened(api);
        var tally = new MetricsTally();
        StreamIdentity? identity = null;
        string? nodeId = null;
        var malformed = 0;
        var capped = false;
        try
        {
            while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
            {
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
                    identity = StreamIdentityParser.Parse(id.Node, string.Empty);
                    nodeId = id.Node?.Id ?? string.Empty;
                    Log.StreamIdentified(logger, context.Peer, api, identity.Role, identity.Node.Id, identity.Instance);
                }

                if (identity is null || nodeId is null)
                {
                    RejectUnidentified(parsed, tally, context.Peer, api);
                }

                if (!registry.Apply(nodeId, identity, parsed.EnvoyMetrics, time.GetUtcNow(), tally) && !capped)
                {
                    capped = true;
                    Log.ProxyCapReached(logger, nodeId, registry.Settings.MaxProxies);
                }

                metrics.Add(tally);
                tally.Clear();
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
            Log.StreamAborted(logger, context.Peer, api);
        }
        finally
        {
            metrics.StreamClosed(api);
        }

        return Response;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void RejectUnidentified(StreamMetricsMessage message, MetricsTally tally, string peer, string api)
    {
        foreach (var family in message.EnvoyMetrics)
        {
            tally.Families++;
            tally.Samples += family.Metric.Count;
            tally.Reject(SampleRejectReason.MissingIdentifier, family.Metric.Count);
        }

        metrics.Add(tally);
        metrics.MessageRejected("missing_identifier");
        Log.MissingIdentifier(logger, peer, api, tally.Samples);
        throw new RpcException(new Status(
            StatusCode.InvalidArgument,
            "The first StreamMetricsMessage of a stream must carry an identifier (node); its metrics were rejected."));
    }
}
