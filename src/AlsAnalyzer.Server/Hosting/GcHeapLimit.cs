using System.Globalization;
using System.Runtime;
using AlsAnalyzer.Core.Model;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Hosting;

/// <summary>
/// Makes the garbage collector's heap follow the memory budget rather than only the container:
/// without it the runtime lets the heap grow to 75% of a container's limit whatever the tables
/// hold, and RSS is that plus the native memory. Set once at start-up, process-wide, so only the
/// server's own entry point applies it (functional tests run several hosts in one process).
/// </summary>
internal static class GcHeapLimit
{
    /// <summary>The GC heap's hard limit in force (bytes), 0 when none (the heap may use the machine's memory).</summary>
    public static long Current =>
        GC.GetConfigurationVariables().TryGetValue("GCHeapHardLimit", out var value) ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : 0;

    /// <summary>
    /// The limit to apply: what the settings ask for (<see cref="MemoryOptions.GcHeapLimitBytes"/>)
    /// unless the runtime already holds the heap lower (a container's limit, or
    /// <c>DOTNET_GCHeapHardLimit</c>); null when nothing is to change.
    /// </summary>
    public static long? Choose(long? asked, long current) =>
        asked is { } bytes && (current == 0 || bytes < current) ? bytes : null;

    /// <summary>Applies the limit the settings ask for and logs the limit in force.</summary>
    public static void Apply(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<MemoryOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GcHeapLimit));
        var before = Current;
        if (Choose(options.GcHeapLimitBytes, before) is { } limit)
        {
            try
            {
                AppContext.SetData("GCHeapHardLimit", (ulong)limit);
                GC.RefreshMemoryLimit();
            }
            catch (InvalidOperationException ex)
            {
                // The heap already holds more than the limit: keep the runtime's.
                Log.GcHeapLimitRefused(logger, limit / 1024 / 1024, ex.Message);
            }
        }

        Log.GcHeapLimit(logger, Current / 1024 / 1024, before / 1024 / 1024, options.MemoryBudgetMegabytes, GCSettings.IsServerGC ? "server" : "workstation");
    }
}
