namespace AlsAnalyzer.Benchmarks.Stress;

/// <summary>The <c>stress</c> command's settings (benchmarks/README.md, "Stress").</summary>
internal sealed record StressOptions
{
    /// <summary>Entries of the flood at least, spread over the last hour; the flood goes on until the throughput phases are over.</summary>
    public long Entries { get; init; } = 1_500_000;

    public int Streams { get; init; } = 8;

    public int EntriesPerMessage { get; init; } = 50;

    /// <summary>Concurrent query loops in the measured phase.</summary>
    public int Queries { get; init; } = 10;

    /// <summary>Seconds of each throughput phase (flood alone, flood with queries).</summary>
    public int PhaseSeconds { get; init; } = 15;

    /// <summary>Rounds of the two phases, alternated (A B A B ...).</summary>
    public int Rounds { get; init; } = 2;

    /// <summary>Seconds of flood before the first phase (server warm-up: JIT, first series).</summary>
    public int WarmupSeconds { get; init; } = 5;

    public int BudgetMegabytes { get; init; } = 640;

    /// <summary>RSS allowed above the budget: runtime, buffers, GC headroom (README, "Memory budget").</summary>
    public int ConstantMegabytes { get; init; } = 256;

    /// <summary>
    /// The container memory limit to run the server as if under: the GC heap is capped at 75%
    /// of it, as the runtime does under a cgroup limit (default: the deploy manifest's 1 GiB;
    /// 0: no cap, the GC sizes the heap by the machine).
    /// </summary>
    public int ContainerLimitMegabytes { get; init; } = 1024;

    /// <summary>One entry in this many has an 8 KB path.</summary>
    public int LongPathEvery { get; init; } = 100;

    /// <summary>One message in this many carries a crafted FlatNode (256 labels pointing at one 1 MB string).</summary>
    public int CraftedPeerEvery { get; init; } = 2_000;

    public string? ServerDll { get; init; }

    /// <summary>More server arguments (<c>--server-args --Als:IstioMetricsEnabled=false,...</c>).</summary>
    public IReadOnlyList<string> ServerArgs { get; init; } = [];

    /// <summary>More environment variables of the server process (<c>NAME=VALUE</c>), e.g. the runtime's GC settings.</summary>
    public IReadOnlyList<string> ServerEnvironment { get; init; } = [];

    /// <summary>Seconds long, for CI: checks function (bounds hold, queries answer), not time.</summary>
    public bool Smoke { get; init; }

    public static StressOptions SmokeDefaults { get; } = new()
    {
        Entries = 40_000,
        Streams = 4,
        Queries = 3,
        PhaseSeconds = 2,
        Rounds = 1,
        WarmupSeconds = 1,
        CraftedPeerEvery = 200,
        Smoke = true,
    };
}
