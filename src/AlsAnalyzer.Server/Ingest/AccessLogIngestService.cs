using System.Diagnostics;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Ingest;
using Envoy.Service.Accesslog.V3;
using Grpc.Core;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// The access log service: each message's raw payload goes to the pipeline, which decodes it
/// with the stream's state (the reporter identity parsed once from the first message, open TCP
/// connections) and analyses it into an aggregation shard it claims without a lock.
/// </summary>
internal sealed class AccessLogIngestService(IAccessLogPipeline pipeline, AccessLogMetrics metrics, IngestStreamLoop loop)
    : IIngestHandler<RawPayload, AccessLogIngestStream>
{
    private static readonly StreamAccessLogsResponse Response = new();

    public string MissingIdentifierDetail =>
        "The first StreamAccessLogsMessage of a stream must carry an identifier (node); its entries were rejected.";

    public async Task<StreamAccessLogsResponse> StreamAccessLogs(IAsyncStreamReader<RawPayload> requests, ServerCallContext context, string api)
    {
        await loop.RunAsync(requests, context, api, this).ConfigureAwait(false);
        return Response;
    }

    public AccessLogIngestStream OpenStream() => new();

    public long PayloadBytes(RawPayload request) => request.Length;

    public MessageResult Handle(RawPayload request, AccessLogIngestStream stream)
    {
        var tally = stream.Tally;
        var start = Stopwatch.GetTimestamp();
        MessageResult result;
        using (request)
        {
            result = pipeline.Process(request.Span, stream, tally);
        }

        metrics.Add(tally);
        tally.Clear();
        if (result.Status is MessageStatus.Analyzed or MessageStatus.Discarded)
        {
            metrics.ObserveMessageDuration(Stopwatch.GetElapsedTime(start));
        }

        return result;
    }
}

/// <summary>An access log stream's state, and the tally its messages are counted in before they reach the counters.</summary>
internal sealed class AccessLogIngestStream : AccessLogStreamState
{
    public IngestTally Tally { get; } = new();
}
