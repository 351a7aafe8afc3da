using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Identity;

namespace AlsAnalyzer.Core.Ingest;

/// <summary>What one access log stream remembers between its messages.</summary>
internal class AccessLogStreamState : IdentifiedStream
{
    /// <summary>Open TCP connections of this stream, created with its first TCP message.</summary>
    public TcpConnectionTracker? Connections { get; set; }
}
