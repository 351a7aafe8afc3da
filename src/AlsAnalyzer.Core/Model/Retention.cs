namespace AlsAnalyzer.Core.Model;

/// <summary>
/// How many minutes of aggregates are kept: the one place that turns a time into the oldest
/// minute still held, for the entries' analysis, the minute ring, proxy counters and queries.
/// </summary>
internal readonly record struct Retention(int Minutes)
{
    /// <summary>The oldest minute (unix minutes) still held at <paramref name="now"/>.</summary>
    public long OldestMinute(DateTimeOffset now) => OldestMinute(now.ToUnixTimeSeconds());

    /// <summary>The oldest minute (unix minutes) still held at unix second <paramref name="nowSeconds"/>.</summary>
    public long OldestMinute(long nowSeconds) => Math.DivRem(nowSeconds, 60).Quotient - Minutes + 1;
}
