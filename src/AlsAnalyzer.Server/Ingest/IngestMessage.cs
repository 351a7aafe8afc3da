namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// What an ingest marshaller hands its service: the parsed message, or why it did not parse.
/// A malformed message is reported instead of thrown so that its stream carries on and the
/// valid messages after it are not lost.
/// </summary>
internal sealed class IngestMessage<T>
    where T : class
{
    private IngestMessage(T? message, string? error, long payloadBytes)
    {
        Message = message;
        Error = error;
        PayloadBytes = payloadBytes;
    }

    public T? Message { get; }

    public string? Error { get; }

    public long PayloadBytes { get; }

    public static IngestMessage<T> Parsed(T message, long payloadBytes) => new(message, null, payloadBytes);

    public static IngestMessage<T> Malformed(string error, long payloadBytes) => new(null, error, payloadBytes);
}
