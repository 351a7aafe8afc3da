using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Ingest;

/// <summary>The ingest port's limits, and how access log payloads are processed.</summary>
internal sealed class IngestOptions : ISettings
{
    /// <summary>Fields read straight from the payload bytes: the shipped mode (<see cref="AnalyzePipeline"/>).</summary>
    public const string Analyze = "analyze";

    /// <summary>The same analysis over the generated protobuf objects (<see cref="ReferencePipeline"/>).</summary>
    public const string Reference = "reference";

    /// <summary>Transport only, payloads dropped unread (<see cref="DiscardPipeline"/>): a benchmark floor, never for production.</summary>
    public const string Discard = "discard";

    public static string Section => "Ingest";

    /// <summary>Largest accepted gRPC message; larger ones end their stream with RESOURCE_EXHAUSTED.</summary>
    public int MaxReceiveMessageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Concurrent HTTP/2 streams per connection (a relay may multiplex many proxies).</summary>
    public int MaxStreamsPerConnection { get; set; } = 1000;

    /// <summary>Seconds a new connection has to send the HTTP/2 preface before it is closed.</summary>
    public int PrefaceTimeoutSeconds { get; set; } = 10;

    /// <summary>How access log payloads are processed: <c>analyze</c>, <c>reference</c> or <c>discard</c>.</summary>
    public string IngestMode { get; set; } = Analyze;

    public void Validate(SettingErrors errors)
    {
        errors.Range(nameof(MaxReceiveMessageBytes), MaxReceiveMessageBytes, 1024, 256 * 1024 * 1024);
        errors.Range(nameof(MaxStreamsPerConnection), MaxStreamsPerConnection, 1, 1_000_000);
        errors.Range(nameof(PrefaceTimeoutSeconds), PrefaceTimeoutSeconds, 1, 3600);
        errors.OneOf(nameof(IngestMode), IngestMode, Analyze, Reference, Discard);
    }
}
