using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Server.IstioMetrics;

/// <summary>Prometheus remote write (1.0) of the Istio series: where, how often, and how much may wait.</summary>
internal sealed class RemoteWriteOptions : ISettings
{
    public static string Section => "RemoteWrite";

    /// <summary>Remote-write endpoint (e.g. <c>http://prometheus:9090/api/v1/write</c>); empty: no remote write.</summary>
    public string RemoteWriteUrl { get; set; } = string.Empty;

    /// <summary>Seconds between two snapshots of the series sent.</summary>
    public int RemoteWriteIntervalSeconds { get; set; } = 15;

    /// <summary>Seconds one request may take before it counts as a network error (and is retried).</summary>
    public int RemoteWriteTimeoutSeconds { get; set; } = 10;

    /// <summary>Samples waiting to be sent at most; past it the oldest waiting snapshots are dropped (counted).</summary>
    public int RemoteWriteMaxQueuedSamples { get; set; } = 1_000_000;

    /// <summary>
    /// Samples (time series) in one request at most: a snapshot is sent as several requests, so
    /// that no request (nor its encoding) grows with the number of series.
    /// </summary>
    public int RemoteWriteMaxSamplesPerSend { get; set; } = 10_000;

    /// <summary>
    /// This replica's name, added to every remote-written series as the <c>replica</c> label so
    /// that replicas sharing a store never overwrite each other's series; empty: the
    /// <c>POD_NAME</c> environment variable, else the host name.
    /// </summary>
    public string ReplicaName { get; set; } = string.Empty;

    public bool Enabled => RemoteWriteUrl.Length > 0;

    /// <summary><see cref="ReplicaName"/>, else <c>POD_NAME</c>, else the host name.</summary>
    public string EffectiveReplicaName => ReplicaName.Length > 0 ? ReplicaName
        : Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod
        : Environment.MachineName;

    public void Validate(SettingErrors errors)
    {
        if (Enabled && !(Uri.TryCreate(RemoteWriteUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            errors.Add($"{nameof(RemoteWriteUrl)} must be an absolute http(s) URL (got '{RemoteWriteUrl}')");
        }

        if (ReplicaName.Length > 253)
        {
            errors.Add($"{nameof(ReplicaName)} is {ReplicaName.Length} characters long; at most 253 (a Kubernetes object name)");
        }

        errors.Range(nameof(RemoteWriteIntervalSeconds), RemoteWriteIntervalSeconds, 1, 3600);
        errors.Range(nameof(RemoteWriteTimeoutSeconds), RemoteWriteTimeoutSeconds, 1, 300);
        errors.Range(nameof(RemoteWriteMaxQueuedSamples), RemoteWriteMaxQueuedSamples, 1, 100_000_000);
        errors.Range(nameof(RemoteWriteMaxSamplesPerSend), RemoteWriteMaxSamplesPerSend, 100, 1_000_000);
    }
}
