using Envoy.Service.Metrics.V3;
using Grpc.Core;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>The metrics service methods (v3 and v2 share one handler and marshaller).</summary>
internal static class MetricsMethods
{
    public const string V3Service = "envoy.service.metrics.v3.MetricsService";
    public const string V2Service = "envoy.service.metrics.v2.MetricsService";
    public const string MethodName = "StreamMetrics";

    private static readonly Marshaller<IngestMessage<StreamMetricsMessage>> RequestMarshaller =
        IngestMarshallers.Request(StreamMetricsMessage.Parser);

    private static readonly Marshaller<StreamMetricsResponse> ResponseMarshaller =
        IngestMarshallers.Response(StreamMetricsResponse.Parser);

    public static readonly Method<IngestMessage<StreamMetricsMessage>, StreamMetricsResponse> V3 =
        new(MethodType.ClientStreaming, V3Service, MethodName, RequestMarshaller, ResponseMarshaller);

    public static readonly Method<IngestMessage<StreamMetricsMessage>, StreamMetricsResponse> V2 =
        new(MethodType.ClientStreaming, V2Service, MethodName, RequestMarshaller, ResponseMarshaller);
}
