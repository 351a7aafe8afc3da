using Envoy.Service.Accesslog.V3;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace AlsAnalyzer.Testing;

/// <summary>
/// A real gRPC client (grpc-dotnet over HTTP/2 cleartext) for the access log service, v3 or v2.
/// </summary>
public sealed class AlsClient : IDisposable
{
    private static readonly Marshaller<StreamAccessLogsMessage> RequestMarshaller =
        Marshallers.Create(m => m.ToByteArray(), StreamAccessLogsMessage.Parser.ParseFrom);

    private static readonly Marshaller<byte[]> RawMarshaller = Marshallers.Create(b => b, b => b);

    private static readonly Marshaller<StreamAccessLogsResponse> ResponseMarshaller =
        Marshallers.Create(m => m.ToByteArray(), StreamAccessLogsResponse.Parser.ParseFrom);

    private readonly GrpcChannel _channel;

    public AlsClient(Uri address, int maxSendBytes = 64 * 1024 * 1024)
    {
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxSendMessageSize = maxSendBytes });
    }

    /// <summary>A client over <paramref name="handler"/> (TLS settings, client certificates); the channel disposes it.</summary>
    public AlsClient(Uri address, HttpMessageHandler handler)
    {
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    public CallInvoker Invoker => _channel.CreateCallInvoker();

    public static Method<StreamAccessLogsMessage, StreamAccessLogsResponse> Method(string version = "v3") =>
        new(MethodType.ClientStreaming, $"envoy.service.accesslog.{version}.AccessLogService", "StreamAccessLogs", RequestMarshaller, ResponseMarshaller);

    /// <summary>Sends the messages on one stream, half-closes, and waits for the server's answer.</summary>
    public async Task<StreamAccessLogsResponse> SendAsync(IEnumerable<StreamAccessLogsMessage> messages, string version = "v3", CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        using var call = _channel.CreateCallInvoker().AsyncClientStreamingCall(Method(version), null, new CallOptions(cancellationToken: cts.Token));
        foreach (var m in messages)
        {
            await call.RequestStream.WriteAsync(m, cts.Token).ConfigureAwait(false);
        }

        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        return await call.ResponseAsync.ConfigureAwait(false);
    }

    /// <summary>Sends raw payloads (possibly not protobuf at all) as gRPC messages on one stream.</summary>
    public async Task<byte[]> SendRawAsync(IEnumerable<byte[]> payloads, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        var method = new Method<byte[], byte[]>(MethodType.ClientStreaming, "envoy.service.accesslog.v3.AccessLogService", "StreamAccessLogs", RawMarshaller, RawMarshaller);
        using var call = _channel.CreateCallInvoker().AsyncClientStreamingCall(method, null, new CallOptions(cancellationToken: cts.Token));
        foreach (var p in payloads)
        {
            await call.RequestStream.WriteAsync(p, cts.Token).ConfigureAwait(false);
        }

        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        return await call.ResponseAsync.ConfigureAwait(false);
    }

    public void Dispose() => _channel.Dispose();
}
