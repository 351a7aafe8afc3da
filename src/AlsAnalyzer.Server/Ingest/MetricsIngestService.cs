using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Ingest;
using AlsAnalyzer.Core.Metrics;
using Envoy.Service.Metrics.V3;
using Grpc.Core;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// The metrics service: as for access logs, the identifier comes on the first message only and
/// is parsed once; a later one replaces it. Each message's families are applied to the proxy's
/// state under that proxy's own lock.
/// </summary>
internal sealed class MetricsIngestService(
    ProxyRegistry registry,
    MetricsServiceMetrics metrics,
    IngestStreamLoop loop,
    TimeProvider time,
    ILogger<MetricsIngestService> logger) : IIngestHandler<IngestMessage<StreamMetricsMessage>, MetricsIngestService.Stream>
{
    private static readonly StreamMetricsResponse Response = new();

    public string MissingIdentifierDetail =>
        "The first StreamMetricsMessage of a stream must carry an identifier (node); its metrics were rejected.";

    public async Task<StreamMetricsResponse> StreamMetrics(
        IAsyncStreamReader<IngestMessage<StreamMetricsMessage>> requests,
        ServerCallContext context,
        string api)
    {
        await loop.RunAsync(requests, context, api, this).ConfigureAwait(false);
        return Response;
    }

    public Stream OpenStream() => new();

    public long PayloadBytes(IngestMessage<StreamMetricsMessage> request) => request.PayloadBytes;

    public MessageResult Handle(IngestMessage<StreamMetricsMessage> request, Stream stream)
    {
        if (request.Message is not { } parsed)
        {
            return new MessageResult(MessageStatus.Malformed, request.Error);
        }

        var tally = stream.Tally;
        if (parsed.Identifier is { } id)
        {
            stream.Identity = StreamIdentityParser.Parse(id.Node, string.Empty);
            stream.IdentityChanged = true;
            stream.NodeId = id.Node?.Id ?? string.Empty;
        }

        try
        {
            if (stream.Identity is not { } identity || stream.NodeId is not { } nodeId)
            {
                foreach (var family in parsed.EnvoyMetrics)
                {
                    tally.Families++;
                    tally.Samples += family.Metric.Count;
                    tally.Reject(SampleRejectReason.MissingIdentifier, family.Metric.Count);
                }

                return new MessageResult(MessageStatus.MissingIdentifier, Entries: tally.Samples);
            }

            if (!registry.Apply(nodeId, identity, parsed.EnvoyMetrics, time.GetUtcNow(), tally) && !stream.Capped)
            {
                stream.Capped = true;
                Log.ProxyCapReached(logger, nodeId, registry.Settings.MaxProxies);
            }

            return new MessageResult(MessageStatus.Analyzed, Entries: tally.Samples);
        }
        finally
        {
            metrics.Add(tally);
            tally.Clear();
        }
    }

    /// <summary>A metrics stream's state.</summary>
    internal sealed class Stream : IdentifiedStream
    {
        /// <summary>The proxy's node id, which keys its state.</summary>
        public string? NodeId { get; set; }

        /// <summary>Set once the proxy cap was reported for this stream.</summary>
        public bool Capped { get; set; }

        public MetricsTally Tally { get; } = new();
    }
}
