namespace AlsAnalyzer.Core.Query;

/// <summary>A query's time window; it covers every minute bucket that overlaps [From, To).</summary>
internal readonly record struct QueryWindow(DateTimeOffset From, DateTimeOffset To)
{
    public long FromMinute => Math.DivRem(From.ToUnixTimeSeconds(), 60).Quotient;

    public long ToMinute => Math.DivRem(To.ToUnixTimeSeconds() - 1, 60).Quotient;

    public double Seconds => Math.Max(1, (To - From).TotalSeconds);
}
