using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Identity;

namespace AlsAnalyzer.Core.Ingest;

/// <summary>What one access log stream remembers between its messages.</summary>
internal sealed class AccessLogStreamState
{
    /// <summary>The reporter, from the stream's (latest) identifier.</summary>
    public StreamIdentity? Identity { get; set; }

    /// <summary>Set by a pipeline when a message carried an identifier; the caller logs and clears it.</summary>
    public bool IdentityChanged { get; set; }

    /// <summary>Open TCP connections of this stream, created with its first TCP message.</summary>
    public TcpConnectionTracker? Connections { get; set; }
}
