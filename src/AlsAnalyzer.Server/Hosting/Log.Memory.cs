namespace AlsAnalyzer.Server;

/// <summary>Log messages of the memory set-up and the proxies' snapshot (their own file and event ids, 120 on).</summary>
internal static partial class Log
{
    [LoggerMessage(120, LogLevel.Information, "GC heap limited to {LimitMegabytes} MiB (0: no limit; the runtime's was {RuntimeMegabytes} MiB) for a memory budget of {BudgetMegabytes} MiB; {Gc} GC")]
    public static partial void GcHeapLimit(ILogger logger, long limitMegabytes, long runtimeMegabytes, int budgetMegabytes, string gc);

    [LoggerMessage(121, LogLevel.Warning, "GC heap limit of {LimitMegabytes} MiB not applied, the runtime's kept: {Reason}")]
    public static partial void GcHeapLimitRefused(ILogger logger, long limitMegabytes, string reason);

    [LoggerMessage(122, LogLevel.Information, "Snapshot: restored {Restored} of {Held} metrics-service proxies")]
    public static partial void SnapshotProxiesRestored(ILogger logger, int restored, int held);
}
