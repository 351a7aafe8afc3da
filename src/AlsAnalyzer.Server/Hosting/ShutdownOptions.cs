using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Server.Hosting;

/// <summary>How long a graceful shutdown (SIGTERM) may take before the process exits.</summary>
internal sealed class ShutdownOptions : ISettings
{
    public static string Section => "Shutdown";

    /// <summary>
    /// Seconds from SIGTERM to exit. Open ingest streams get the first half to hand over what
    /// their proxies already sent (then they end with UNAVAILABLE); the rest is for the last
    /// fold of the shards and the final snapshot. Keep it below the pod's
    /// <c>terminationGracePeriodSeconds</c> minus any preStop delay.
    /// </summary>
    public int ShutdownDrainSeconds { get; set; } = 10;

    public TimeSpan Drain => TimeSpan.FromSeconds(ShutdownDrainSeconds);

    /// <summary>The part of <see cref="Drain"/> open streams may use before they are ended.</summary>
    public TimeSpan StreamDrain => TimeSpan.FromSeconds(ShutdownDrainSeconds / 2.0);

    public void Validate(SettingErrors errors) => errors.Range(nameof(ShutdownDrainSeconds), ShutdownDrainSeconds, 1, 600);
}
