using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Hosting;

/// <summary>Folds the ingest shards into the minute ring on a timer and drops expired minutes.</summary>
internal sealed class Collector(
    Aggregator aggregator,
    EntryAnalyzer analyzer,
    TimeProvider time,
    IOptions<AlsOptions> options,
    ILogger<Collector> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.CollectIntervalMilliseconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    aggregator.Flush(new EntryClock(time.GetUtcNow(), analyzer.Settings).OldestMinute);
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
