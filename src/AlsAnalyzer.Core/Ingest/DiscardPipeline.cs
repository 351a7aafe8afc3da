using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Ingest;

/// <summary>
/// Transport-only mode, for measuring the floor of the transport (HTTP/2, gRPC framing, one
/// copy of the payload): the payload is dropped unread. Never for production use.
/// </summary>
internal sealed class DiscardPipeline : IAccessLogPipeline
{
    public IReadOnlyList<NamedTable> Tables => [];

    public MessageResult Process(ReadOnlySpan<byte> payload, AccessLogStreamState stream, IngestTally tally) =>
        new(MessageStatus.Discarded);
}
