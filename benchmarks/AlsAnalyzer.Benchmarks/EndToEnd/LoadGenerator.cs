using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;

namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>
/// A pre-encoded client: opens client-streaming <c>StreamAccessLogs</c> calls over HTTP/2
/// cleartext (grpc-dotnet with a raw byte[] marshaller, so sending costs no serialization),
/// sends each stream's identifier message and then its steady messages until a deadline or a
/// message count, half-closes, and waits for the server's answer. Streams are spread over
/// <c>channels</c> channels; each channel opens further HTTP/2 connections when one is full.
/// </summary>
internal sealed class LoadGenerator : IDisposable
{
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(static b => b, static b => b);

    private static readonly Method<byte[], byte[]> StreamAccessLogs =
        new(MethodType.ClientStreaming, "envoy.service.accesslog.v3.AccessLogService", "StreamAccessLogs", Raw, Raw);

    private readonly GrpcChannel[] _channels;
    private int _next = -1;

    public LoadGenerator(Uri target, int channels)
    {
        _channels = new GrpcChannel[Math.Max(1, channels)];
        for (var i = 0; i < _channels.Length; i++)
        {
            _channels[i] = GrpcChannel.ForAddress(target, new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler
                {
                    EnableMultipleHttp2Connections = true,
                    PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                    ConnectTimeout = TimeSpan.FromSeconds(10),
                },
                MaxSendMessageSize = null,
                DisposeHttpClient = true,
            });
        }
    }

    /// <summary>Runs <paramref name="streams"/> streams until <paramref name="duration"/> has passed or each sent <paramref name="maxMessages"/> messages (0: no limit).</summary>
    public async Task<LoadResult> RunAsync(IReadOnlyList<LoadScript> scripts, int streams, TimeSpan duration, long maxMessages, CancellationToken cancellationToken)
    {
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var tasks = new Task<(long Messages, long Entries, long Bytes, string? Error)>[streams];
        for (var i = 0; i < streams; i++)
        {
            tasks[i] = RunStreamAsync(scripts[i % scripts.Count], deadline, maxMessages, cancellationToken);
        }

        var results = await Task.WhenAll(tasks).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        return new LoadResult(
            streams,
            results.Sum(r => r.Messages),
            results.Sum(r => r.Entries),
            results.Sum(r => r.Bytes),
            elapsed,
            cpu,
            [.. results.Where(r => r.Error is not null).Select(r => r.Error!)]);
    }

    /// <summary>Opens a stream and sends its first message; the caller holds it open and closes it with <see cref="CloseAsync"/>.</summary>
    public async Task<AsyncClientStreamingCall<byte[], byte[]>> OpenAsync(byte[] first, CancellationToken cancellationToken)
    {
        var call = Open(cancellationToken);
        try
        {
            await call.RequestStream.WriteAsync(first, cancellationToken).ConfigureAwait(false);
            return call;
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    /// <summary>Half-closes a stream and waits for the server's answer.</summary>
    public static async Task CloseAsync(AsyncClientStreamingCall<byte[], byte[]> call)
    {
        using (call)
        {
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            await call.ResponseAsync.ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }

    private AsyncClientStreamingCall<byte[], byte[]> Open(CancellationToken cancellationToken) =>
        _channels[(int)((uint)Interlocked.Increment(ref _next) % (uint)_channels.Length)]
            .CreateCallInvoker()
            .AsyncClientStreamingCall(StreamAccessLogs, null, new CallOptions(cancellationToken: cancellationToken));

    private async Task<(long Messages, long Entries, long Bytes, string? Error)> RunStreamAsync(LoadScript script, long deadline, long maxMessages, CancellationToken cancellationToken)
    {
        long messages = 0, entries = 0, bytes = 0;
        try
        {
            using var call = Open(cancellationToken);
            await call.RequestStream.WriteAsync(script.First, cancellationToken).ConfigureAwait(false);
            messages++;
            entries += script.FirstEntries;
            bytes += script.First.Length;
            for (var j = 0; script.Steady.Length > 0 && (maxMessages <= 0 || messages < maxMessages) && Stopwatch.GetTimestamp() < deadline; j++)
            {
                var k = j % script.Steady.Length;
                await call.RequestStream.WriteAsync(script.Steady[k], cancellationToken).ConfigureAwait(false);
                messages++;
                entries += script.SteadyEntries[k];
                bytes += script.Steady[k].Length;
            }

            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            await call.ResponseAsync.ConfigureAwait(false);
            return (messages, entries, bytes, null);
        }
        catch (RpcException ex)
        {
            return (messages, entries, bytes, $"{ex.StatusCode}: {ex.Status.Detail}");
        }
    }
}
