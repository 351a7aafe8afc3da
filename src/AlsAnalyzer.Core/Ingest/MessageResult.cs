namespace AlsAnalyzer.Core.Ingest;

internal enum MessageStatus
{
    /// <summary>Every entry was analysed (or rejected with a reason in the tally).</summary>
    Analyzed,

    /// <summary>The payload is not a valid message; nothing in it is counted as an entry.</summary>
    Malformed,

    /// <summary>No identifier yet on this stream: the entries were rejected; the stream must end.</summary>
    MissingIdentifier,

    /// <summary>Transport-only mode: the payload was received and dropped unread.</summary>
    Discarded,
}

internal readonly record struct MessageResult(MessageStatus Status, string? Error = null, long Entries = 0);
