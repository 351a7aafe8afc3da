namespace AlsAnalyzer.Core.Peers;

/// <summary>Which peer of the reporting proxy an entry's metadata describes.</summary>
internal enum PeerPosition : byte
{
    /// <summary>The caller (downstream).</summary>
    Downstream,

    /// <summary>The callee (upstream).</summary>
    Upstream,
}
