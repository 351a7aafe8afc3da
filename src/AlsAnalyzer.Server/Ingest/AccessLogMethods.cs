using Envoy.Service.Accesslog.V3;
using Grpc.Core;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// The gRPC methods served for access logs, declared by hand so that v2 and v3 share one
/// handler and one marshaller (their messages are wire compatible for every field read).
/// </summary>
internal static class AccessLogMethods
{
    public const string V3Service = "envoy.service.accesslog.v3.AccessLogService";
    public const string V2Service = "envoy.service.accesslog.v2.AccessLogService";
    public const string MethodName = "StreamAccessLogs";

    private static readonly Marshaller<IngestMessage<StreamAccessLogsMessage>> RequestMarshaller =
        IngestMarshallers.Request(StreamAccessLogsMessage.Parser);

    private static readonly Marshaller<StreamAccessLogsResponse> ResponseMarshaller =
        IngestMarshallers.Response(StreamAccessLogsResponse.Parser);

    public static readonly Method<IngestMessage<StreamAccessLogsMessage>, StreamAccessLogsResponse> V3 =
        new(MethodType.ClientStreaming, V3Service, MethodName, RequestMarshaller, ResponseMarshaller);

    public static readonly Method<IngestMessage<StreamAccessLogsMessage>, StreamAccessLogsResponse> V2 =
        new(MethodType.ClientStreaming, V2Service, MethodName, RequestMarshaller, ResponseMarshaller);
}
