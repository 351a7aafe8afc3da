namespace AlsAnalyzer.Core.Analysis;

/// <summary>Why an entry did not reach the aggregation. Names are the metric label values.</summary>
internal enum RejectReason
{
    /// <summary>The stream's first message carried no identifier: no reporter to attribute to.</summary>
    MissingIdentifier,

    /// <summary>The entry has no <c>common_properties</c>.</summary>
    MissingCommonProperties,

    /// <summary>The entry's time is older than the retention window.</summary>
    OutsideRetention,

    /// <summary>The entry's time is further in the future than the allowed clock skew.</summary>
    FutureTimestamp,
}

internal static class RejectReasonNames
{
    public static readonly string[] All = ["missing_identifier", "missing_common_properties", "outside_retention", "future_timestamp"];

    public static string Name(this RejectReason reason) => All[(int)reason];
}
