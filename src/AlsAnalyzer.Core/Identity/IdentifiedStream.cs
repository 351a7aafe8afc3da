namespace AlsAnalyzer.Core.Identity;

/// <summary>
/// What every ingest stream remembers: its reporter, from the identifier of its first message
/// (a later identifier replaces it).
/// </summary>
internal abstract class IdentifiedStream
{
    /// <summary>The reporter, from the stream's (latest) identifier.</summary>
    public StreamIdentity? Identity { get; set; }

    /// <summary>Set when a message carried an identifier; the read loop logs it and clears it.</summary>
    public bool IdentityChanged { get; set; }
}
