using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Ingest;

/// <summary>
/// Turns one <c>StreamAccessLogsMessage</c> payload into aggregates, updating the stream's
/// state and the message's tally. Implementations: <see cref="ReferencePipeline"/> (generated
/// protobuf objects), and a transport-only one that discards payloads.
/// </summary>
internal interface IAccessLogPipeline
{
    /// <summary>The bounded lookup tables this pipeline owns, for the self-metrics.</summary>
    IReadOnlyList<NamedTable> Tables { get; }

    MessageResult Process(ReadOnlySpan<byte> payload, AccessLogStreamState stream, IngestTally tally);
}
