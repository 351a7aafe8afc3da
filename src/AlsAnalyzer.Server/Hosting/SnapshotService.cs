using AlsAnalyzer.Core.Persistence;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Hosting;

/// <summary>
/// Restores the last snapshot before the server starts listening, then writes one every
/// interval. The one written at shutdown is the collector's, after its last fold.
/// </summary>
internal sealed class SnapshotService(SnapshotStore store, TimeProvider time, IOptions<SnapshotOptions> options) : BackgroundService
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Hosted services start before the web server: nothing is ingested before the restore.
        store.Load();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!store.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SnapshotIntervalSeconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                // Synchronous file I/O, off the timer's thread so a slow disk delays nothing else.
                await Task.Run(() => store.Write(atShutdown: false), stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down: the collector writes the last snapshot.
        }
    }
}
