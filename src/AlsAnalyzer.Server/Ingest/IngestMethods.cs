using Envoy.Service.Accesslog.V3;
using Envoy.Service.Metrics.V3;
using Grpc.Core;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// The gRPC methods served on the ingest port, declared by hand so that v2 and v3 of each
/// service share one handler (their messages are wire compatible for every field read).
/// Access log requests arrive as raw payloads, which the stream's pipeline decodes with the
/// stream's state; metrics requests arrive parsed.
/// </summary>
internal static class IngestMethods
{
    public const string AccessLogV3Service = "envoy.service.accesslog.v3.AccessLogService";
    public const string AccessLogV2Service = "envoy.service.accesslog.v2.AccessLogService";
    public const string MetricsV3Service = "envoy.service.metrics.v3.MetricsService";
    public const string MetricsV2Service = "envoy.service.metrics.v2.MetricsService";

    public static readonly Method<RawPayload, StreamAccessLogsResponse> AccessLogV3 = AccessLog(AccessLogV3Service);
    public static readonly Method<RawPayload, StreamAccessLogsResponse> AccessLogV2 = AccessLog(AccessLogV2Service);
    public static readonly Method<IngestMessage<StreamMetricsMessage>, StreamMetricsResponse> MetricsV3 = Metrics(MetricsV3Service);
    public static readonly Method<IngestMessage<StreamMetricsMessage>, StreamMetricsResponse> MetricsV2 = Metrics(MetricsV2Service);

    private static Method<RawPayload, StreamAccessLogsResponse> AccessLog(string service) =>
        new(MethodType.ClientStreaming, service, "StreamAccessLogs", RawPayload.Marshaller, IngestMarshallers.Response(StreamAccessLogsResponse.Parser));

    private static Method<IngestMessage<StreamMetricsMessage>, StreamMetricsResponse> Metrics(string service) =>
        new(MethodType.ClientStreaming, service, "StreamMetrics", IngestMarshallers.Request(StreamMetricsMessage.Parser), IngestMarshallers.Response(StreamMetricsResponse.Parser));
}
