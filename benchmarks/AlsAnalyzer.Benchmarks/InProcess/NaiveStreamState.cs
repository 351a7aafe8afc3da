namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>The naive baseline's per-stream state: the reporter's <c>namespace/service</c>.</summary>
internal sealed class NaiveStreamState
{
    public string Reporter { get; set; } = "unknown";
}
