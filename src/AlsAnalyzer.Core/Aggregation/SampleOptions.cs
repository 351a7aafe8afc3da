using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>The per-edge reservoirs of failing and slowest calls behind <c>/api/v1/samples</c>.</summary>
internal sealed class SampleOptions : ISettings
{
    public static string Section => "Samples";

    /// <summary>Failing calls kept per edge (the most recent), and as many slowest calls per period; 0 turns sampling off.</summary>
    public int MaxSamplesPerEdge { get; set; } = 10;

    /// <summary>Edges with samples kept; past it the edge sampled least recently is forgotten.</summary>
    public int MaxSampleEdges { get; set; } = 1000;

    /// <summary>Length (minutes) of the period whose slowest calls are kept; the current and the previous period are kept.</summary>
    public int SlowSampleMinutes { get; set; } = 5;

    public void Validate(SettingErrors errors)
    {
        errors.Range(nameof(MaxSamplesPerEdge), MaxSamplesPerEdge, 0, 1000);
        errors.Range(nameof(MaxSampleEdges), MaxSampleEdges, 1, 1_000_000);
        errors.Range(nameof(SlowSampleMinutes), SlowSampleMinutes, 1, 24 * 60);
    }
}
