using Envoy.Service.Accesslog.V3;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// What the ingest marshaller hands the service: the parsed message, or why it did not parse.
/// A malformed message is reported instead of thrown so that its stream carries on and the
/// valid messages after it are not lost.
/// </summary>
internal sealed class IngestMessage
{
    private IngestMessage(StreamAccessLogsMessage? message, string? error, long payloadBytes)
    {
        Message = message;
        Error = error;
        PayloadBytes = payloadBytes;
    }

    public StreamAccessLogsMessage? Message { get; }

    public string? Error { get; }

    public long PayloadBytes { get; }

    public static IngestMessage Parsed(StreamAccessLogsMessage message, long payloadBytes) => new(message, null, payloadBytes);

    public static IngestMessage Malformed(string error, long payloadBytes) => new(null, error, payloadBytes);
}
