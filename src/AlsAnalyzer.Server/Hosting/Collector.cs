using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Metrics;
using AlsAnalyzer.Server.Ingest;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Hosting;

/// <summary>
/// Folds the ingest shards into the minute ring on a timer and drops expired minutes; less
/// often, forgets proxies that stopped reporting metrics. At shutdown, once the server has
/// stopped (every ingest stream drained), folds the shards one last time, writes the last
/// snapshot and reports what the drain did.
/// </summary>
internal sealed class Collector(
    Aggregator aggregator,
    ProxyRegistry proxies,
    IngestDrain drain,
    SnapshotStore snapshots,
    TimeProvider time,
    IOptions<AggregationOptions> options,
    ILogger<Collector> logger) : BackgroundService, IHostedLifecycleService
{
    private int _stopped;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs after every hosted service stopped, the web server included: no stream is open any more.</summary>
    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return Task.CompletedTask;
        }

        aggregator.Flush(options.Value.Retention.OldestMinute(time.GetUtcNow()));
        snapshots.Write(atShutdown: true);
        var (open, unavailable, messages, entries) = drain.Drained;
        Log.ShutdownDrained(logger, open, unavailable, messages, entries, drain.EntriesTotal, drain.OpenStreams);
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(settings.CollectIntervalMilliseconds), time);

        // Expiry walks every stat of every proxy: every 30 s is plenty for a minute-grained expiry.
        var nextExpiry = time.GetUtcNow();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    var now = time.GetUtcNow();
                    aggregator.Flush(settings.Retention.OldestMinute(now));
                    if (now >= nextExpiry)
                    {
                        nextExpiry = now.AddSeconds(30);
                        var expired = proxies.Expire(now);
                        if (expired > 0)
                        {
                            Log.ProxiesExpired(logger, expired);
                        }
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.CollectorFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }
}
