using k8s.Models;

namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>A pod added by the churn, and when.</summary>
internal sealed record NewPod(V1Pod Pod, TimeSpan Added);
