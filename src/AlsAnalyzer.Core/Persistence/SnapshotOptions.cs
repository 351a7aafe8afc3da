using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Persistence;

/// <summary>Where and how often the aggregates are written to disk, to survive a restart.</summary>
internal sealed class SnapshotOptions : ISettings
{
    public static string Section => "Snapshots";

    /// <summary>Folder of the snapshot file (relative to the working directory), created if missing.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Seconds between snapshots: what a crash may lose at most. One is also written at shutdown.</summary>
    public int SnapshotIntervalSeconds { get; set; } = 60;

    /// <summary><c>on</c>: load at start-up, write every interval and at shutdown; <c>off</c>: memory only.</summary>
    public string Snapshots { get; set; } = "on";

    public bool Enabled => Snapshots == "on";

    public void Validate(SettingErrors errors)
    {
        errors.OneOf(nameof(Snapshots), Snapshots, "on", "off");
        errors.Range(nameof(SnapshotIntervalSeconds), SnapshotIntervalSeconds, 5, 24 * 3600);
        if (Enabled && string.IsNullOrWhiteSpace(DataDirectory))
        {
            errors.Add("Als:DataDirectory is empty; name a folder, or set Als:Snapshots=off to keep the aggregates in memory only.");
        }
    }
}
