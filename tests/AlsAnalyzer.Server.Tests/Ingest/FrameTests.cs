using System.IO.Compression;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace AlsAnalyzer.Server.Tests.Ingest;

/// <summary>
/// Every way a request body can fail to be a sequence of gRPC frames, sent by hand over
/// HTTP/2: each ends its stream with a clear status (never UNKNOWN), is counted under its
/// reason, keeps the messages read before it, and leaves other streams alone.
/// </summary>
public sealed class FrameTests : IAsyncLifetime
{
    private const string AccessLogs = "/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs";
    private const string Metrics = "/envoy.service.metrics.v3.MetricsService/StreamMetrics";
    private const int Limit = 65536;

    private AlsTestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await AlsTestServer.StartAsync("MaxReceiveMessageBytes=" + Limit);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string, string> Cases => new()
    {
        // name, reason, grpc-status, start of grpc-message
        { "length prefix 2^31", "oversized", "8", "The message's length prefix is 2^31 bytes or more; messages are limited to 65536 bytes" },
        { "length prefix 2^32-1", "oversized", "8", "The message's length prefix is 2^31 bytes or more" },
        { "length prefix over the limit", "oversized", "8", "Received message exceeds the maximum configured message size." },
        { "compressed flag without grpc-encoding", "compression", "13", "Request did not include grpc-encoding value with compressed message." },
        { "compressed with an unsupported grpc-encoding", "compression", "12", "Unsupported grpc-encoding value 'snappy'." },
        { "compressed but not gzip", "compression", "3", "A compressed message does not decompress as 'gzip' (grpc-encoding)." },
        { "compressed flag 2", "bad_frame", "3", "A message's compressed flag is neither 0 nor 1" },
        { "body cut inside the payload", "truncated", "13", "Incomplete message: the stream ended inside a gRPC frame" },
        { "body cut inside the header", "truncated", "13", "Incomplete message: the stream ended inside a gRPC frame" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadFrame_AfterAGoodMessage_EndsTheStreamWithAClearStatusCountedUnderItsReason(string name, string reason, string status, string message)
    {
        var (bad, encoding) = BadFrame(name);
        using var raw = new RawGrpcClient(_server.GrpcAddress);

        var answer = await raw.SendAsync(AccessLogs, [.. RawGrpcClient.Frame(GoodMessage(2)), .. bad], encoding, Ct);
        await new AlsClient(_server.GrpcAddress).SendAsync([Calls.HttpMessage([Outbound()], Nodes.Sidecar(Mesh.Productpage))], cancellationToken: Ct);
        var m = await _server.ScrapeAsync();

        Assert.Equal((200, status), (answer.HttpStatus, answer.GrpcStatus));
        Assert.StartsWith(message, answer.GrpcMessage, StringComparison.Ordinal);
        Assert.Equal(1, m.Get($"als_messages_rejected_total{{reason=\"{reason}\"}}"));
        Assert.Equal(1, m.Sum("als_messages_rejected_total"));
        Assert.Equal(3, m.Get("als_entries_analyzed_total"));
        var warning = Assert.Single(_server.Logs.AtLeast(LogLevel.Warning));
        Assert.Contains(reason, warning, StringComparison.Ordinal);
        Assert.DoesNotContain(_server.Logs.AtLeast(LogLevel.Error), _ => true);
    }

    [Fact]
    public async Task BadFrame_OnAMetricsStream_IsCountedTheSameWay()
    {
        using var raw = new RawGrpcClient(_server.GrpcAddress);

        var answer = await raw.SendAsync(Metrics, RawGrpcClient.Frame([1, 2, 3], length: 0x80000000), cancellationToken: Ct);
        var m = await _server.ScrapeAsync();

        Assert.Equal("8", answer.GrpcStatus);
        Assert.Equal(1, m.Get("als_messages_rejected_total{reason=\"oversized\"}"));
    }

    [Fact]
    public async Task GzipFrame_WithGrpcEncodingGzip_IsAnalysed()
    {
        using var raw = new RawGrpcClient(_server.GrpcAddress);
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(GoodMessage(4));
        }

        var answer = await raw.SendAsync(AccessLogs, RawGrpcClient.Frame(compressed.ToArray(), flag: 1), "gzip", Ct);
        var m = await _server.ScrapeAsync();

        Assert.Equal("0", answer.GrpcStatus);
        Assert.Equal(4, m.Get("als_entries_analyzed_total"));
        Assert.Equal(0, m.Sum("als_messages_rejected_total"));
    }

    [Fact]
    public async Task EmptyBody_IsAnEmptyStream_NotAnError()
    {
        using var raw = new RawGrpcClient(_server.GrpcAddress);

        var answer = await raw.SendAsync(AccessLogs, [], cancellationToken: Ct);
        var m = await _server.ScrapeAsync();

        Assert.Equal("0", answer.GrpcStatus);
        Assert.Equal(0, m.Sum("als_messages_rejected_total"));
    }

    private static (byte[] Body, string? Encoding) BadFrame(string name) => name switch
    {
        "length prefix 2^31" => (RawGrpcClient.Frame([1, 2, 3], length: 0x80000000), null),
        "length prefix 2^32-1" => (RawGrpcClient.Frame([1, 2, 3], length: 0xFFFFFFFF), null),
        "length prefix over the limit" => (RawGrpcClient.Frame([1, 2, 3], length: Limit + 1), null),
        "compressed flag without grpc-encoding" => (RawGrpcClient.Frame([1, 2, 3], flag: 1), null),
        "compressed with an unsupported grpc-encoding" => (RawGrpcClient.Frame([1, 2, 3], flag: 1), "snappy"),
        "compressed but not gzip" => (RawGrpcClient.Frame([1, 2, 3], flag: 1), "gzip"),
        "compressed flag 2" => (RawGrpcClient.Frame([1, 2, 3], flag: 2), null),
        "body cut inside the payload" => (RawGrpcClient.Frame([1, 2, 3], length: 10), null),
        "body cut inside the header" => ([0, 0, 0], null),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private static byte[] GoodMessage(int entries) =>
        Calls.HttpMessage(Enumerable.Range(0, entries).Select(_ => Outbound()), Nodes.Sidecar(Mesh.Productpage)).ToByteArray();

    private static Envoy.Data.Accesslog.V3.HTTPAccessLogEntry Outbound() => Calls.Outbound(new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details });
}
