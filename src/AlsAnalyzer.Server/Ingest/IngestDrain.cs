using AlsAnalyzer.Server.Hosting;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// The ingest side of a graceful shutdown. Envoy never half-closes its ALS and Metrics Service
/// streams, so without a signal they stay open until the host's timeout resets them. When
/// <see cref="Begin"/> is called (the host is stopping), every read loop reads what its proxy
/// already sent - until the stream has been quiet for <see cref="QuietPeriod"/>, or the stream
/// part of the drain time is over - analyses it, and ends the stream with UNAVAILABLE, so the
/// proxy reconnects (to another replica) and nothing it sent before the signal is lost.
/// Also counts what it drained, for the shutdown log.
/// </summary>
internal sealed class IngestDrain(IOptions<ShutdownOptions> options, TimeProvider time, ILogger<IngestDrain> logger) : IDisposable
{
    /// <summary>
    /// A stream that received nothing for this long after the signal has handed over what its
    /// proxy sent before it. On loopback and in a cluster a sent message arrives within
    /// milliseconds; Envoy flushes its access log buffer once a second by default, so most
    /// streams are found quiet at the first wait.
    /// </summary>
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _draining = new();
    private long _open;
    private long _openAtSignal;
    private long _endedUnavailable;
    private long _messagesDrained;
    private long _entriesDrained;
    private long _entriesTotal;
    private long _deadlineTicks;

    /// <summary>Cancelled when the shutdown begins.</summary>
    public CancellationToken Draining => _draining.Token;

    public bool IsDraining => _draining.IsCancellationRequested;

    /// <summary>Streams open now.</summary>
    public long OpenStreams => Interlocked.Read(ref _open);

    /// <summary>Entries (access logs) or samples (metrics) received on every stream since start.</summary>
    public long EntriesTotal => Interlocked.Read(ref _entriesTotal);

    /// <summary>What the drain did: streams open at the signal, ended with UNAVAILABLE, and what was read after the signal.</summary>
    public (long OpenAtSignal, long EndedUnavailable, long Messages, long Entries) Drained =>
        (Interlocked.Read(ref _openAtSignal), Interlocked.Read(ref _endedUnavailable), Interlocked.Read(ref _messagesDrained), Interlocked.Read(ref _entriesDrained));

    /// <summary>Starts the drain: stops every read loop's wait for more and has them end their streams.</summary>
    public void Begin()
    {
        if (IsDraining)
        {
            return;
        }

        var settings = options.Value;
        Interlocked.Exchange(ref _deadlineTicks, (time.GetUtcNow() + settings.StreamDrain).UtcTicks);
        var open = OpenStreams;
        Interlocked.Exchange(ref _openAtSignal, open);
        Log.DrainStarted(logger, open, EntriesTotal, settings.ShutdownDrainSeconds);
        _draining.Cancel();
    }

    /// <summary>How long a draining stream may wait for its next message: the quiet period, or what is left of the stream drain.</summary>
    public TimeSpan NextReadTimeout()
    {
        var left = new DateTimeOffset(Interlocked.Read(ref _deadlineTicks), TimeSpan.Zero) - time.GetUtcNow();
        return left < TimeSpan.Zero ? TimeSpan.Zero : left < QuietPeriod ? left : QuietPeriod;
    }

    public void StreamOpened() => Interlocked.Increment(ref _open);

    public void StreamClosed() => Interlocked.Decrement(ref _open);

    /// <summary>A message handled: its entries (or samples) count toward the totals.</summary>
    public void MessageHandled(long entries, bool afterSignal)
    {
        Interlocked.Add(ref _entriesTotal, entries);
        if (afterSignal)
        {
            Interlocked.Increment(ref _messagesDrained);
            Interlocked.Add(ref _entriesDrained, entries);
        }
    }

    public void StreamEndedByDrain() => Interlocked.Increment(ref _endedUnavailable);

    public void Dispose() => _draining.Dispose();
}
