namespace AlsAnalyzer.Server.Kubernetes;

/// <summary>Log messages of the Kubernetes metadata cache.</summary>
internal static partial class KubeLog
{
    [LoggerMessage(101, LogLevel.Warning, "Kubernetes watch of {Resource} failed: {Reason}; retrying in {BackoffMs:F0} ms (ingest goes on with the last known state)")]
    public static partial void WatchFailed(ILogger logger, string resource, string reason, double backoffMs);

    [LoggerMessage(102, LogLevel.Information, "Kubernetes watch of {Resource}: resourceVersion {ResourceVersion} expired (410 Gone); listing again")]
    public static partial void ResourceVersionExpired(ILogger logger, string resource, string resourceVersion);

    [LoggerMessage(103, LogLevel.Warning, "Kubernetes watch of {Resource} sent an event that was skipped: {Reason}")]
    public static partial void WatchEventRejected(ILogger logger, string resource, string reason);

    [LoggerMessage(104, LogLevel.Information, "Kubernetes metadata cache synced: {Pods} pods, {Services} services, {Slices} EndpointSlices, {Nodes} nodes, {Addresses} addresses")]
    public static partial void Synced(ILogger logger, int pods, int services, int slices, int nodes, int addresses);

    [LoggerMessage(105, LogLevel.Information, "Kubernetes metadata cache connecting to {Server} ({Source})")]
    public static partial void Connecting(ILogger logger, string server, string source);

    [LoggerMessage(106, LogLevel.Error, "Kubernetes metadata cache could not start: {Reason}")]
    public static partial void StartFailed(ILogger logger, string reason);

    [LoggerMessage(107, LogLevel.Information, "Kubernetes metadata cache goes on without {Resource}: {Reason}; checking again every {RetryMinutes:F0} min")]
    public static partial void OptionalResourceUnavailable(ILogger logger, string resource, string reason, double retryMinutes);

    [LoggerMessage(108, LogLevel.Information, "Kubernetes metadata cache keeps the {Count} {Resource} it listed but cannot watch them: {Reason}; listing again every {RetryMinutes:F0} min")]
    public static partial void OptionalResourceUnwatched(ILogger logger, int count, string resource, string reason, double retryMinutes);
}
