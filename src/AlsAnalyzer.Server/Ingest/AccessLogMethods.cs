using Envoy.Service.Accesslog.V3;
using Google.Protobuf;
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

    private static readonly Marshaller<IngestMessage> RequestMarshaller = new(
        static (_, _) => throw new NotSupportedException("The server never sends access log messages."),
        Deserialize);

    private static readonly Marshaller<StreamAccessLogsResponse> ResponseMarshaller = new(
        static (response, context) => context.Complete(response.ToByteArray()),
        static context => StreamAccessLogsResponse.Parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    public static readonly Method<IngestMessage, StreamAccessLogsResponse> V3 =
        new(MethodType.ClientStreaming, V3Service, MethodName, RequestMarshaller, ResponseMarshaller);

    public static readonly Method<IngestMessage, StreamAccessLogsResponse> V2 =
        new(MethodType.ClientStreaming, V2Service, MethodName, RequestMarshaller, ResponseMarshaller);

    private static IngestMessage Deserialize(DeserializationContext context)
    {
        var payload = context.PayloadAsReadOnlySequence();
        try
        {
            return IngestMessage.Parsed(StreamAccessLogsMessage.Parser.ParseFrom(payload), payload.Length);
        }
        catch (InvalidProtocolBufferException ex)
        {
            return IngestMessage.Malformed(ex.Message, payload.Length);
        }
    }
}
