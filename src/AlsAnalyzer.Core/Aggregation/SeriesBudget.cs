namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// Estimated bytes held by minute buckets against a cap: one per ring bucket (its minute's
/// share), one shared by the buckets of a shard buffer. Plain fields: its owner is single-threaded
/// (a shard's writer, or the collector).
/// </summary>
internal sealed class SeriesBudget(long capBytes)
{
    public long Cap { get; } = capBytes;

    public long Used;

    public bool Full => Used >= Cap;

    public static SeriesBudget Unlimited() => new(long.MaxValue);
}
