using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>The aggregation's byte shares of the memory budget: the minute ring and the shard buffers.</summary>
internal sealed record AggregationBudget(long RingBytes, long ShardBytes)
{
    public static readonly AggregationBudget Unlimited = new(long.MaxValue, long.MaxValue);

    public static AggregationBudget From(MemoryBudget budget) => new(budget.RingBytes, budget.ShardBytes);
}
