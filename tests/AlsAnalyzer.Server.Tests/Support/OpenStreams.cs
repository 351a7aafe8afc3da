using AlsAnalyzer.Testing;
using Envoy.Service.Accesslog.V3;
using Envoy.Service.Metrics.V3;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace AlsAnalyzer.Server.Tests.Support;

/// <summary>
/// Streams that behave as Envoy's: they send, and never half-close. The server has to end
/// them; <see cref="StatusesAsync"/> tells how each ended.
/// </summary>
internal sealed class OpenStreams : IDisposable
{
    private static readonly Method<StreamMetricsMessage, StreamMetricsResponse> MetricsMethod = new(
        MethodType.ClientStreaming,
        "envoy.service.metrics.v3.MetricsService",
        "StreamMetrics",
        Marshallers.Create(m => m.ToByteArray(), StreamMetricsMessage.Parser.ParseFrom),
        Marshallers.Create(m => m.ToByteArray(), StreamMetricsResponse.Parser.ParseFrom));

    private readonly GrpcChannel _channel;
    private readonly List<IDisposable> _calls = [];
    private readonly List<Task> _responses = [];

    public OpenStreams(Uri address) => _channel = GrpcChannel.ForAddress(address);

    public async Task AccessLogsAsync(IEnumerable<StreamAccessLogsMessage> messages, CancellationToken cancellationToken)
    {
        var call = _channel.CreateCallInvoker().AsyncClientStreamingCall(AlsClient.Method(), null, new CallOptions(cancellationToken: cancellationToken));
        _calls.Add(call);
        _responses.Add(call.ResponseAsync);
        foreach (var m in messages)
        {
            await call.RequestStream.WriteAsync(m, cancellationToken);
        }
    }

    public async Task MetricsAsync(IEnumerable<StreamMetricsMessage> messages, CancellationToken cancellationToken)
    {
        var call = _channel.CreateCallInvoker().AsyncClientStreamingCall(MetricsMethod, null, new CallOptions(cancellationToken: cancellationToken));
        _calls.Add(call);
        _responses.Add(call.ResponseAsync);
        foreach (var m in messages)
        {
            await call.RequestStream.WriteAsync(m, cancellationToken);
        }
    }

    /// <summary>How each stream ended: its status (OK if it succeeded), or the exception if it ended without one.</summary>
    public async Task<IReadOnlyList<Status>> StatusesAsync(TimeSpan timeout)
    {
        var all = Task.WhenAll(_responses.Select(async r =>
        {
            try
            {
                await r;
                return Status.DefaultSuccess;
            }
            catch (RpcException ex)
            {
                return ex.Status;
            }
        }));
        return await all.WaitAsync(timeout);
    }

    public void Dispose()
    {
        foreach (var call in _calls)
        {
            call.Dispose();
        }

        _channel.Dispose();
    }
}
