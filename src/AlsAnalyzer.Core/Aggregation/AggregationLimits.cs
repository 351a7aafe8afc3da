namespace AlsAnalyzer.Core.Aggregation;

/// <summary>Cardinality caps per minute bucket; what exceeds them folds into a counted overflow series.</summary>
internal sealed record AggregationLimits
{
    /// <summary>Distinct (source, target, protocol) edges per minute.</summary>
    public int MaxEdgesPerMinute { get; init; } = 10_000;

    /// <summary>Distinct endpoints per service per minute; the excess goes to <see cref="MinuteBucket.OtherEndpoint"/>.</summary>
    public int MaxEndpointsPerService { get; init; } = 100;

    /// <summary>Distinct (service, instance) pairs per minute.</summary>
    public int MaxInstancesPerMinute { get; init; } = 20_000;
}
