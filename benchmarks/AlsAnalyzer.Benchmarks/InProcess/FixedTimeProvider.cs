namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>A clock stopped at the corpus time, so no entry is rejected as outside retention or from the future.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
