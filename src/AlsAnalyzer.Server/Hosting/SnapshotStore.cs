using System.Diagnostics;
using System.Globalization;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Metrics;
using AlsAnalyzer.Core.Persistence;
using AlsAnalyzer.Server.Metrics;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Hosting;

/// <summary>
/// The aggregates on disk: loaded once at start-up (before ingest begins), written every
/// <see cref="SnapshotOptions.SnapshotIntervalSeconds"/> and at shutdown. A snapshot that
/// cannot be read is moved aside (renamed with the time) and the service starts empty; a write
/// that fails is logged and counted, the previous snapshot stays, and the service goes on.
/// </summary>
internal sealed class SnapshotStore(
    Aggregator aggregator,
    ProxyRegistry proxies,
    IOptions<SnapshotOptions> options,
    IOptions<AggregationOptions> aggregation,
    SnapshotMetrics metrics,
    TimeProvider time,
    ILogger<SnapshotStore> logger)
{
    private readonly Lock _writeLock = new();

    public bool Enabled => options.Value.Enabled;

    /// <summary>The snapshot file's full path.</summary>
    public string FilePath => Path.GetFullPath(Path.Combine(options.Value.DataDirectory, SnapshotFile.FileName));

    /// <summary>Restores the last snapshot, if there is a readable one, into the minute ring.</summary>
    public void Load()
    {
        if (!Enabled)
        {
            Log.SnapshotsOff(logger);
            return;
        }

        var path = FilePath;
        if (!File.Exists(path))
        {
            metrics.Loaded(SnapshotMetrics.None);
            Log.SnapshotNone(logger, path);
            return;
        }

        var clock = Stopwatch.StartNew();
        try
        {
            SnapshotCodec.Restored restored;
            long bytes;
            using (var file = SnapshotFile.OpenVerified(path, out var payloadBytes))
            {
                bytes = file.Length;
                restored = SnapshotCodec.Read(SnapshotFile.ReadSections(file, payloadBytes), aggregation.Value);
            }

            var oldest = aggregation.Value.Retention.OldestMinute(time.GetUtcNow());
            var merged = aggregator.Restore(oldest, restored.Minutes, restored.Overflow);
            var restoredProxies = proxies.Restore(restored.Proxies);
            metrics.Loaded(SnapshotMetrics.Restored);
            Log.SnapshotRestored(logger, path, merged, restored.Minutes.Count - merged, restored.WrittenAt?.ToString("O", CultureInfo.InvariantCulture) ?? "?", bytes, clock.ElapsedMilliseconds, restored.SkippedSections);
            Log.SnapshotProxiesRestored(logger, restoredProxies, restored.Proxies.Count);
        }
        catch (Exception ex) when (ex is SnapshotFormatException or IOException or UnauthorizedAccessException)
        {
            MoveAside(path, ex.Message);
        }
    }

    /// <summary>Writes a snapshot now; false (logged and counted) if it could not be written.</summary>
    public bool Write(bool atShutdown)
    {
        if (!Enabled)
        {
            return true;
        }

        lock (_writeLock)
        {
            var path = FilePath;
            var clock = Stopwatch.StartNew();
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var settings = aggregation.Value;
                var now = time.GetUtcNow();
                var overflow = aggregator.OverflowTotal;
                var minutes = 0;

                // The ring is read (and serialised into the page cache) under its lock; the flush
                // to disk comes after the lock is released.
                var bytes = SnapshotFile.Write(path, writer =>
                {
                    minutes = aggregator.Read(
                        settings.Retention.OldestMinute(now),
                        long.MinValue,
                        long.MaxValue,
                        ring =>
                        {
                            SnapshotCodec.Write(writer, ring, overflow, now, settings.Retention);
                            return ring.Count;
                        });

                    // After the ring's lock is released: each proxy under its own lock.
                    ProxyCodec.Write(writer, proxies);
                });
                metrics.Written(bytes, clock.Elapsed, time.GetUtcNow());
                if (atShutdown)
                {
                    Log.SnapshotWrittenAtShutdown(logger, path, minutes, bytes, clock.ElapsedMilliseconds);
                }
                else
                {
                    Log.SnapshotWritten(logger, path, minutes, bytes, clock.ElapsedMilliseconds);
                }

                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                metrics.WriteFailed();
                Log.SnapshotWriteFailed(logger, path, ex.Message);
                return false;
            }
        }
    }

    private void MoveAside(string path, string reason)
    {
        var aside = $"{path}.unreadable-{time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}";
        metrics.Loaded(SnapshotMetrics.MovedAside);
        try
        {
            File.Move(path, aside, overwrite: true);
            Log.SnapshotMovedAside(logger, path, reason, aside);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.SnapshotNotMovedAside(logger, path, reason, ex.Message);
        }
    }
}
