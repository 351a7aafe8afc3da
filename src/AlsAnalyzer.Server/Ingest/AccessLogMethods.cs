using Envoy.Service.Accesslog.V3;
using Grpc.Core;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// The gRPC methods served for access logs, declared by hand so that v2 and v3 share one
/// handler (their messages are wire compatible for every field read). Requests arrive as raw
/// payloads: the stream's pipeline decodes them with the stream's state.
/// </summary>
internal static class AccessLogMethods
{
    public const string V3Service = "envoy.service.accesslog.v3.AccessLogService";
    public const string V2Service = "envoy.service.accesslog.v2.AccessLogService";
    public const string MethodName = "StreamAccessLogs";

    private static readonly Marshaller<StreamAccessLogsResponse> ResponseMarshaller =
        IngestMarshallers.Response(StreamAccessLogsResponse.Parser);

    public static readonly Method<RawPayload, StreamAccessLogsResponse> V3 =
        new(MethodType.ClientStreaming, V3Service, MethodName, RawPayload.Marshaller, ResponseMarshaller);

    public static readonly Method<RawPayload, StreamAccessLogsResponse> V2 =
        new(MethodType.ClientStreaming, V2Service, MethodName, RawPayload.Marshaller, ResponseMarshaller);
}
