using Envoy.Service.Metrics.V3;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace AlsAnalyzer.Testing;

/// <summary>A real gRPC client (grpc-dotnet, HTTP/2 cleartext) for Envoy's metrics service, v3 or v2.</summary>
public sealed class MetricsClient(Uri address) : IDisposable
{
    private static readonly Marshaller<StreamMetricsMessage> RequestMarshaller =
        Marshallers.Create(m => m.ToByteArray(), StreamMetricsMessage.Parser.ParseFrom);

    private static readonly Marshaller<StreamMetricsResponse> ResponseMarshaller =
        Marshallers.Create(m => m.ToByteArray(), StreamMetricsResponse.Parser.ParseFrom);

    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(address);

    public async Task SendAsync(IEnumerable<StreamMetricsMessage> messages, string version = "v3", CancellationToken cancellationToken = default)
    {
        var method = new Method<StreamMetricsMessage, StreamMetricsResponse>(
            MethodType.ClientStreaming, $"envoy.service.metrics.{version}.MetricsService", "StreamMetrics", RequestMarshaller, ResponseMarshaller);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        using var call = _channel.CreateCallInvoker().AsyncClientStreamingCall(method, null, new CallOptions(cancellationToken: cts.Token));
        foreach (var m in messages)
        {
            await call.RequestStream.WriteAsync(m, cts.Token).ConfigureAwait(false);
        }

        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        await call.ResponseAsync.ConfigureAwait(false);
    }

    public void Dispose() => _channel.Dispose();
}
