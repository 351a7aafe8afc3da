namespace AlsAnalyzer.Core.Metrics;

/// <summary>Why a metric sample from the metrics service was not kept. Names are the metric label values.</summary>
internal enum SampleRejectReason
{
    /// <summary>NaN or an infinity.</summary>
    NonFinite,

    /// <summary>A counter below zero.</summary>
    NegativeCounter,

    /// <summary>A type AlsAnalyzer does not read (gauge histograms, unknown enum values) or a metric without the value its type names.</summary>
    UnknownType,

    /// <summary>An empty, over-long or control-character stat name.</summary>
    UnparsableName,

    /// <summary>The proxy already holds the maximum number of distinct stats.</summary>
    StatCap,

    /// <summary>The maximum number of proxies is tracked already.</summary>
    ProxyCap,

    /// <summary>The stream's first message carried no identifier.</summary>
    MissingIdentifier,

    /// <summary>The registry holds its share of the memory budget: a new proxy, stat or minute is refused.</summary>
    MemoryBudget,
}

internal static class SampleRejectReasonNames
{
    public static readonly string[] All = ["non_finite", "negative_counter", "unknown_type", "unparsable_name", "stat_cap", "proxy_cap", "missing_identifier", "memory_budget"];
}
