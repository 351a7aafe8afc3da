namespace AlsAnalyzer.Core.Query;

/// <summary>A query's time window; it covers every minute bucket that overlaps [From, To).</summary>
internal readonly record struct QueryWindow(DateTimeOffset From, DateTimeOffset To)
{
    public long FromMinute => Math.DivRem(From.ToUnixTimeSeconds(), 60).Quotient;

    // The minute holding the last millisecond before To: whole-second truncation would drop
    // the current minute during its first second.
    public long ToMinute => Math.DivRem(To.ToUnixTimeMilliseconds() - 1, 60_000).Quotient;

    public double Seconds => Math.Max(1, (To - From).TotalSeconds);
}
