using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Identity;
using Envoy.Service.Accesslog.V3;

namespace AlsAnalyzer.Core.Ingest;

/// <summary>What one access log stream remembers between its messages.</summary>
internal class AccessLogStreamState : IdentifiedStream, IDisposable
{
    /// <summary>Open TCP connections of this stream, created with its first TCP message.</summary>
    public TcpConnectionTracker? Connections { get; set; }

    /// <summary>The stream ended: its TCP connections give their slots back to the shared budget.</summary>
    public void Dispose()
    {
        Connections?.Dispose();
        Connections = null;
        GC.SuppressFinalize(this);
    }

    /// <summary>Takes the reporter from a message's identifier (a later identifier replaces an earlier one); its names interned in <paramref name="names"/> when given.</summary>
    public void Identify(StreamAccessLogsMessage.Types.Identifier identifier, Decoding.InternTable? names = null)
    {
        Identity = StreamIdentityParser.Parse(identifier.Node, identifier.LogName, names is null ? null : names.Intern);
        IdentityChanged = true;
    }

    /// <summary>
    /// The message's <paramref name="count"/> entries when the stream has no reporter yet: each is
    /// received and rejected, and the stream must end.
    /// </summary>
    public static MessageResult RejectUnidentified(long count, IngestTally tally)
    {
        tally.Received += count;
        tally.Reject(RejectReason.MissingIdentifier, count);
        return new MessageResult(MessageStatus.MissingIdentifier, Entries: count);
    }
}
