using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Analysis;

/// <summary>The accepted time range, computed once per message from the server clock.</summary>
internal readonly struct EntryClock
{
    public EntryClock(DateTimeOffset now, AnalysisSettings settings)
    {
        var nowSeconds = now.ToUnixTimeSeconds();
        OldestMinute = new Retention(settings.RetentionMinutes).OldestMinute(nowSeconds);
        NewestSecond = nowSeconds + (long)settings.MaxFutureSkew.TotalSeconds;
        NowSecond = nowSeconds;
    }

    public long OldestMinute { get; }

    public long NewestSecond { get; }

    public long NowSecond { get; }
}
