namespace AlsAnalyzer.Core.Peers;

/// <summary>Outcome of reading one peer metadata object from filter state.</summary>
internal enum PeerDecodeStatus : byte
{
    /// <summary>No peer key in filter state.</summary>
    Absent,

    Decoded,

    /// <summary>An <c>Any</c> whose type is neither Struct nor BytesValue.</summary>
    UnknownType,

    /// <summary>The payload did not parse (bad protobuf or truncated FlatBuffer).</summary>
    Invalid,

    /// <summary>The payload is larger than <see cref="PeerBudget.MaxBytes"/>.</summary>
    TooLarge,

    /// <summary>More labels (FlatNode) or fields (Struct, all levels) than <see cref="PeerBudget.MaxFields"/>.</summary>
    TooManyFields,

    /// <summary>A Struct nested deeper than <see cref="PeerBudget.MaxDepth"/>.</summary>
    TooDeep,

    /// <summary>A string longer than <see cref="PeerBudget.MaxStringBytes"/>.</summary>
    StringTooLong,
}
