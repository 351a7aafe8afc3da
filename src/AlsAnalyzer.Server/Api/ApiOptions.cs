using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Server.Api;

/// <summary>The HTTP API's query defaults and bounds.</summary>
internal sealed class ApiOptions : ISettings
{
    public static string Section => "Api";

    /// <summary>Query window (minutes) when a query gives no <c>from</c>.</summary>
    public int DefaultQueryMinutes { get; set; } = 15;

    /// <summary>Nodes and edges (services; instances, endpoints) an answer holds when the query gives no <c>limit</c>: the busiest.</summary>
    public int DefaultQueryLimit { get; set; } = 500;

    /// <summary>The largest <c>limit</c> a query may ask for.</summary>
    public int MaxQueryLimit { get; set; } = 2_000;

    /// <summary>
    /// Largest JSON answer (bytes): a larger one is recomputed with a smaller limit. An edge with
    /// both sides' figures is about 1.2 KB, so 2,000 of them fit with room to spare.
    /// </summary>
    public int MaxQueryResponseBytes { get; set; } = 4_000_000;

    /// <summary>Queries over the minute ring that run at once, each on its own lower-priority thread.</summary>
    public int MaxConcurrentQueries { get; set; } = 2;

    /// <summary>Queries that may wait for a free query thread; past that a query is answered 503 with <c>Retry-After</c>.</summary>
    public int MaxQueuedQueries { get; set; } = 16;

    /// <summary>Linux nice value of the query threads (0 = as ingest; 19 = lowest priority), so that queries never outrank ingest.</summary>
    public int QueryThreadNice { get; set; } = 10;

    public void Validate(SettingErrors errors)
    {
        errors.Range(nameof(DefaultQueryMinutes), DefaultQueryMinutes, 1, 7 * 24 * 60);
        errors.Range(nameof(MaxQueryLimit), MaxQueryLimit, 1, 1_000_000);
        errors.Range(nameof(DefaultQueryLimit), DefaultQueryLimit, 1, MaxQueryLimit);
        errors.Range(nameof(MaxQueryResponseBytes), MaxQueryResponseBytes, 4_096, 1_000_000_000);
        errors.Range(nameof(MaxConcurrentQueries), MaxConcurrentQueries, 1, 64);
        errors.Range(nameof(MaxQueuedQueries), MaxQueuedQueries, 0, 10_000);
        errors.Range(nameof(QueryThreadNice), QueryThreadNice, 0, 19);
    }
}
