using AlsAnalyzer.Core.Identity;

namespace AlsAnalyzer.Server;

/// <summary>Source-generated log messages of the server. Per-entry paths never log above Debug.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Stream from {Peer} ({Api}) identified: {Role} {Node} instance {Instance}")]
    public static partial void StreamIdentified(ILogger logger, string peer, string api, ProxyRole role, string node, string instance);

    [LoggerMessage(2, LogLevel.Warning, "Stream from {Peer} ({Api}) sent a first message without identifier; {Count} entries or samples rejected, stream ended with INVALID_ARGUMENT")]
    public static partial void MissingIdentifier(ILogger logger, string peer, string api, long count);

    [LoggerMessage(3, LogLevel.Warning, "Stream from {Peer} ({Api}) sent a malformed message (counted; the stream goes on, further ones are only counted): {Error}")]
    public static partial void MalformedMessage(ILogger logger, string peer, string api, string error);

    [LoggerMessage(4, LogLevel.Warning, "Stream from {Peer} ({Api}) sent an oversized message; stream ended with RESOURCE_EXHAUSTED: {Detail}")]
    public static partial void OversizedMessage(ILogger logger, string peer, string api, string detail);

    [LoggerMessage(5, LogLevel.Debug, "Stream from {Peer} ({Api}) ended by the client without half-close")]
    public static partial void StreamAborted(ILogger logger, string peer, string api);

    [LoggerMessage(6, LogLevel.Warning, "Connection from {Remote} to the ingest port closed: {Reason}")]
    public static partial void ConnectionRejected(ILogger logger, string remote, string reason);

    [LoggerMessage(7, LogLevel.Information, "Ingest (gRPC, HTTP/2 only) listening on {GrpcEndpoint}; HTTP API on {HttpEndpoint}")]
    public static partial void Listening(ILogger logger, string grpcEndpoint, string httpEndpoint);

    [LoggerMessage(8, LogLevel.Error, "Collector failed to fold the ingest shards")]
    public static partial void CollectorFailed(ILogger logger, Exception exception);

    [LoggerMessage(9, LogLevel.Warning, "Proxy {NodeId} not tracked: {MaxProxies} proxies are tracked already (Als:MaxProxies); its metrics are rejected")]
    public static partial void ProxyCapReached(ILogger logger, string nodeId, int maxProxies);

    [LoggerMessage(10, LogLevel.Information, "Forgot {Count} proxies that stopped reporting metrics")]
    public static partial void ProxiesExpired(ILogger logger, int count);

    [LoggerMessage(11, LogLevel.Information, "Shutting down: {Streams} ingest streams open ({Entries} entries or samples received since start); each reads what its proxy already sent, then ends with UNAVAILABLE; exit within {DrainSeconds} s")]
    public static partial void DrainStarted(ILogger logger, long streams, long entries, int drainSeconds);

    [LoggerMessage(12, LogLevel.Information, "Shutdown drained: {Streams} ingest streams were open at the signal, {Unavailable} ended with UNAVAILABLE; {Messages} messages ({Entries} entries or samples) read after the signal; {Total} entries or samples received since start, all folded into the aggregates; {StillOpen} streams still open")]
    public static partial void ShutdownDrained(ILogger logger, long streams, long unavailable, long messages, long entries, long total, long stillOpen);

    [LoggerMessage(13, LogLevel.Information, "Snapshots off (Als:Snapshots=off): the aggregates live in memory only and a restart loses them")]
    public static partial void SnapshotsOff(ILogger logger);

    [LoggerMessage(14, LogLevel.Information, "No snapshot at {Path}; starting empty")]
    public static partial void SnapshotNone(ILogger logger, string path);

    [LoggerMessage(15, LogLevel.Information, "Restored {Minutes} minutes of aggregates from {Path} (written {WrittenAt}; {Dropped} minutes older than the retention dropped; {Bytes} bytes in {Milliseconds} ms; {Skipped} sections of unknown kind skipped)")]
    public static partial void SnapshotRestored(ILogger logger, string path, int minutes, int dropped, string writtenAt, long bytes, long milliseconds, int skipped);

    [LoggerMessage(16, LogLevel.Warning, "Snapshot {Path} is unreadable ({Reason}); moved aside to {Aside}; starting empty")]
    public static partial void SnapshotMovedAside(ILogger logger, string path, string reason, string aside);

    [LoggerMessage(17, LogLevel.Error, "Snapshot {Path} is unreadable ({Reason}) and could not be moved aside ({Error}); starting empty, the next snapshot replaces it")]
    public static partial void SnapshotNotMovedAside(ILogger logger, string path, string reason, string error);

    [LoggerMessage(18, LogLevel.Debug, "Snapshot written to {Path}: {Minutes} minutes, {Bytes} bytes in {Milliseconds} ms")]
    public static partial void SnapshotWritten(ILogger logger, string path, int minutes, long bytes, long milliseconds);

    [LoggerMessage(19, LogLevel.Information, "Snapshot written at shutdown to {Path}: {Minutes} minutes, {Bytes} bytes in {Milliseconds} ms")]
    public static partial void SnapshotWrittenAtShutdown(ILogger logger, string path, int minutes, long bytes, long milliseconds);

    [LoggerMessage(20, LogLevel.Error, "Snapshot to {Path} failed ({Error}); the previous snapshot is kept and the service goes on (counted in als_snapshot_writes_total{{result=\"failed\"}})")]
    public static partial void SnapshotWriteFailed(ILogger logger, string path, string error);

    [LoggerMessage(21, LogLevel.Warning, "Stream from {Peer} ({Api}) sent a gRPC frame that cannot be read ({Reason}); stream ended with {Status}: {Detail}")]
    public static partial void UnreadableFrame(ILogger logger, string peer, string api, string reason, Grpc.Core.StatusCode status, string detail);
}
