namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>Options of <c>churn</c>; <see cref="Smoke"/> shrinks it to seconds.</summary>
internal sealed record ChurnOptions
{
    public int Pods { get; init; } = 10_000;

    public int Services { get; init; } = 500;

    public double Rate { get; init; } = 50;

    public int Duration { get; init; } = 20;

    /// <summary>Seconds of churn before the measured window (start-up tiering outside it).</summary>
    public int Warmup { get; init; }

    public string? ServerDll { get; init; }

    /// <summary>Each service has an EndpointSlice listing its pods, updated with every replacement (two slice changes each).</summary>
    public bool Slices { get; init; }

    /// <summary>Probe new pods' IPs for the time to resolve (adds a little load).</summary>
    public bool Probe { get; init; } = true;

    public static ChurnOptions Smoke { get; } = new() { Pods = 300, Services = 20, Rate = 20, Duration = 3 };
}
