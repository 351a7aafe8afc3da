using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Metrics;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Hosting;

/// <summary>
/// Folds the ingest shards into the minute ring on a timer and drops expired minutes; less
/// often, forgets proxies that stopped reporting metrics.
/// </summary>
internal sealed class Collector(
    Aggregator aggregator,
    ProxyRegistry proxies,
    TimeProvider time,
    IOptions<AggregationOptions> options,
    ILogger<Collector> logger) : BackgroundService
{
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
