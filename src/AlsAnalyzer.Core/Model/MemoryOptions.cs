namespace AlsAnalyzer.Core.Model;

/// <summary>The memory budget that every table growing with input is sized from (<see cref="MemoryBudget"/>).</summary>
internal sealed class MemoryOptions : ISettings
{
    public static string Section => "Memory";

    /// <summary>
    /// Estimated bytes (MiB) that the tables growing with input may hold together. The process
    /// needs this plus a constant (runtime, buffers, GC headroom; README, "Memory budget"): the
    /// default fits the deploy manifest's 1 GiB limit with room to spare.
    /// </summary>
    public int MemoryBudgetMegabytes { get; set; } = 640;

    public MemoryBudget Budget => MemoryBudget.FromMegabytes(MemoryBudgetMegabytes);

    public void Validate(SettingErrors errors) =>
        errors.Range(nameof(MemoryBudgetMegabytes), MemoryBudgetMegabytes, 16, 1_048_576);
}
