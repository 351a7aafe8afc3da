namespace AlsAnalyzer.Server.Kubernetes;

internal sealed record WatchSettings
{
    /// <summary>Server-side timeout asked for each watch; the watch is then resumed from its resourceVersion.</summary>
    public int WatchTimeoutSeconds { get; init; } = 300;

    public TimeSpan BackoffInitial { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Page size of the list calls.</summary>
    public int ListPageSize { get; init; } = 500;
}
