namespace AlsAnalyzer.Core.Analysis;

/// <summary>The accepted time range, computed once per message from the server clock.</summary>
internal readonly struct EntryClock
{
    public EntryClock(DateTimeOffset now, AnalysisSettings settings)
    {
        var nowSeconds = now.ToUnixTimeSeconds();
        OldestMinute = Math.DivRem(nowSeconds, 60).Quotient - settings.RetentionMinutes + 1;
        NewestSecond = nowSeconds + (long)settings.MaxFutureSkew.TotalSeconds;
        NowSecond = nowSeconds;
    }

    public long OldestMinute { get; }

    public long NewestSecond { get; }

    public long NowSecond { get; }
}
