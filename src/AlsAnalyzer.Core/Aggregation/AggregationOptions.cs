using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>The minute ring: how long it keeps minutes, how often it folds the shards, and its cardinality caps.</summary>
internal sealed class AggregationOptions : ISettings
{
    public static string Section => "Aggregation";

    /// <summary>Minutes of aggregates kept; older entries are rejected.</summary>
    public int RetentionMinutes { get; set; } = 60;

    /// <summary>How often (ms) the collector folds the ingest shards into the minute ring.</summary>
    public int CollectIntervalMilliseconds { get; set; } = 1000;

    /// <summary>Distinct (source, target, protocol) edges per minute before overflow.</summary>
    public int MaxEdgesPerMinute { get; set; } = 10_000;

    /// <summary>Distinct endpoints per service per minute before <c>(other)</c> (<see cref="MinuteBucket.OtherEndpoint"/>).</summary>
    public int MaxEndpointsPerService { get; set; } = 100;

    /// <summary>Distinct (service, pod) pairs per minute.</summary>
    public int MaxInstancesPerMinute { get; set; } = 20_000;

    public Retention Retention => new(RetentionMinutes);

    public void Validate(SettingErrors errors)
    {
        errors.Range(nameof(RetentionMinutes), RetentionMinutes, 1, 7 * 24 * 60);
        errors.Range(nameof(CollectIntervalMilliseconds), CollectIntervalMilliseconds, 10, 60_000);
        errors.Range(nameof(MaxEdgesPerMinute), MaxEdgesPerMinute, 1, 10_000_000);
        errors.Range(nameof(MaxEndpointsPerService), MaxEndpointsPerService, 1, 1_000_000);
        errors.Range(nameof(MaxInstancesPerMinute), MaxInstancesPerMinute, 1, 10_000_000);
    }
}
