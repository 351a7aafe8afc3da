namespace AlsAnalyzer.Core.Model;

/// <summary>The memory budget that every table growing with input is sized from (<see cref="MemoryBudget"/>).</summary>
internal sealed class MemoryOptions : ISettings
{
    /// <summary>Heap (MiB) the garbage collector gets beyond the budget by default: the working memory no share counts (README, "Memory budget").</summary>
    public const int DefaultGcHeapHeadroomMegabytes = 64;

    public static string Section => "Memory";

    /// <summary>
    /// Estimated bytes (MiB) that the tables growing with input may hold together. The process
    /// needs this plus a constant (runtime, buffers, GC headroom; README, "Memory budget"): the
    /// default fits the deploy manifest's 1 GiB limit with room to spare.
    /// </summary>
    public int MemoryBudgetMegabytes { get; set; } = 640;

    /// <summary>
    /// Hard limit (MiB) of the garbage collector's heap, set at start-up: 0 = the budget plus
    /// <see cref="DefaultGcHeapHeadroomMegabytes"/>; -1 = leave the runtime's own limit (75% of a
    /// container's memory limit, or none). A lower limit of the runtime's always wins.
    /// </summary>
    public int GcHeapLimitMegabytes { get; set; }

    public MemoryBudget Budget => MemoryBudget.FromMegabytes(MemoryBudgetMegabytes);

    /// <summary>The heap limit asked for, in bytes; null when the runtime's is left alone.</summary>
    public long? GcHeapLimitBytes => GcHeapLimitMegabytes switch
    {
        < 0 => null,
        0 => (MemoryBudgetMegabytes + (long)DefaultGcHeapHeadroomMegabytes) * 1024 * 1024,
        _ => GcHeapLimitMegabytes * 1024L * 1024,
    };

    public void Validate(SettingErrors errors)
    {
        errors.Range(nameof(MemoryBudgetMegabytes), MemoryBudgetMegabytes, 16, 1_048_576);
        if (GcHeapLimitMegabytes is not (-1 or 0) && GcHeapLimitMegabytes is < 64 or > 4_194_304)
        {
            errors.Add($"Als:{nameof(GcHeapLimitMegabytes)} is {GcHeapLimitMegabytes}; it must be -1 (the runtime's limit), 0 (the budget + {DefaultGcHeapHeadroomMegabytes} MiB) or between 64 and 4194304.");
        }
    }
}
