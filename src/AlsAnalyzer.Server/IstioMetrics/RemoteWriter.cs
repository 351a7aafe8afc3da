using System.Net.Http.Headers;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.IstioMetrics;
using AlsAnalyzer.Core.IstioMetrics.RemoteWrite;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.IstioMetrics;

/// <summary>
/// Pushes the Istio series with Prometheus remote write 1.0 every <c>RemoteWriteIntervalSeconds</c>.
/// A snapshot loop folds the shards, copies the series (under the store's lock, never the
/// ingest path's) and queues them as requests of at most <c>RemoteWriteMaxSamplesPerSend</c>
/// samples; a sender loop posts queued requests in order. 5xx
/// and network errors are retried with exponential backoff (up to <see cref="MaxAttempts"/>
/// attempts), 4xx never. The queue is bounded in samples: when full, its oldest requests are
/// dropped and counted. Counters are cumulative, so a lost request loses resolution, not counts.
/// At shutdown, once every ingest stream has drained, the shards are folded and what is still
/// queued is sent with a last snapshot (held series published), within
/// <c>RemoteWriteTimeoutSeconds</c> and the host's shutdown time.
/// </summary>
internal sealed partial class RemoteWriter(
    IstioSeriesStore store,
    EdgeSeries edges,
    Aggregator aggregator,
    IOptions<RemoteWriteOptions> options,
    IOptions<AggregationOptions> aggregation,
    TimeProvider time,
    ILogger<RemoteWriter> logger) : BackgroundService, IHostedLifecycleService
{
    public const int MaxAttempts = 6;
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly Queue<(byte[] Body, int Samples)> _queue = new();
    private readonly Lock _queueLock = new();
    private readonly RemoteWriteEncoder _encoder = new();
    private readonly Lock _encoderLock = new();
    private readonly SemaphoreSlim _queued = new(0);
    private long _queuedSamples;
    private long _sent;
    private long _failed;
    private long _dropped;
    private long _lastSuccessMs;
    private int _finalFlushed;

    public long SamplesSent => Interlocked.Read(ref _sent);

    public long SamplesFailed => Interlocked.Read(ref _failed);

    public long SamplesDropped => Interlocked.Read(ref _dropped);

    public long QueuedSamples => Interlocked.Read(ref _queuedSamples);

    /// <summary>Unix seconds of the last request the receiver accepted; 0 before the first.</summary>
    public double LastSuccessSeconds => Interlocked.Read(ref _lastSuccessMs) / 1000.0;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(settings.RemoteWriteTimeoutSeconds) };
        var url = new Uri(settings.RemoteWriteUrl);
        var sender = Task.Run(() => SendLoopAsync(http, url, stoppingToken), stoppingToken);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.RemoteWriteIntervalSeconds), time);
        try
        {
            do
            {
                try
                {
                    Snapshot(settings.RemoteWriteMaxQueuedSamples);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogSnapshotFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }

        try
        {
            await sender.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs after every hosted service stopped, the web server included: every stream has drained, so the last push is complete.</summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled || Interlocked.Exchange(ref _finalFlushed, 1) != 0)
        {
            return;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(settings.RemoteWriteTimeoutSeconds));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(settings.RemoteWriteTimeoutSeconds) };
        var url = new Uri(settings.RemoteWriteUrl);
        var sentBefore = SamplesSent;
        try
        {
            // New series first at 0 (a counter's first sample must be 0 for increase() to count it),
            // then every series with everything folded, one millisecond or more later.
            List<(byte[] Body, int Samples)> first = [];
            aggregator.Flush(aggregation.Value.Retention.OldestMinute(time.GetUtcNow()));
            if (store.Counts().Held > 0)
            {
                first = Build(out var firstMs);
                store.ReleaseAllHeld();
                await PastAsync(firstMs).ConfigureAwait(false);
            }

            var last = Build(out var lastMs);

            // Edge series new in the last push went out at 0: one more push carries their calls.
            List<(byte[] Body, int Samples)> again = [];
            if (edges.Held > 0)
            {
                await PastAsync(lastMs).ConfigureAwait(false);
                again = Build(out _);
            }

            List<(byte[] Body, int Samples)> pending;
            lock (_queueLock)
            {
                pending = [.. _queue];
                _queue.Clear();
                Interlocked.Exchange(ref _queuedSamples, 0);
            }

            pending.AddRange(first);
            pending.AddRange(last);
            pending.AddRange(again);

            foreach (var (body, samples) in pending)
            {
                await SendAsync(http, url, body, samples, deadline.Token).ConfigureAwait(false);
            }

            LogFinalFlush(logger, SamplesSent - sentBefore, pending.Count);
        }
        catch (OperationCanceledException)
        {
            LogFinalFlushCut(logger, settings.RemoteWriteTimeoutSeconds);
        }

        // Until the clock has passed a push's timestamp, so that the next push's samples are later.
        async Task PastAsync(long timestampMs)
        {
            while (time.GetUtcNow().ToUnixTimeMilliseconds() <= timestampMs)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(1), time, deadline.Token).ConfigureAwait(false);
            }
        }
    }

    private void Snapshot(int maxQueued)
    {
        var bodies = Build(out _);
        var samples = bodies.Sum(b => b.Samples);
        if (samples == 0)
        {
            return;
        }

        lock (_queueLock)
        {
            // Oldest first out: the newest snapshot carries every counter's latest value.
            while (_queue.Count > 0 && _queuedSamples + samples > maxQueued)
            {
                var (_, old) = _queue.Dequeue();
                _queuedSamples -= old;
                Interlocked.Add(ref _dropped, old);
            }

            if (samples > maxQueued)
            {
                Interlocked.Add(ref _dropped, samples);
                return;
            }

            foreach (var body in bodies)
            {
                _queue.Enqueue(body);
            }

            Interlocked.Add(ref _queuedSamples, samples);
        }

        _queued.Release(bodies.Count);
    }

    /// <summary>Folds the shards and encodes one snapshot of every series as requests; none when there is no series.</summary>
    private List<(byte[] Body, int Samples)> Build(out long timestampMs)
    {
        aggregator.Flush(aggregation.Value.Retention.OldestMinute(time.GetUtcNow()));
        var snapshot = store.Snapshot(out timestampMs);
        var replica = options.Value.EffectiveReplicaName;
        var maxSamples = options.Value.RemoteWriteMaxSamplesPerSend;
        List<(byte[] Body, int Samples)> bodies;
        lock (_encoderLock)
        {
            bodies = _encoder.Encode(snapshot, timestampMs, replica, maxSamples);
        }

        if (snapshot.Count > 0)
        {
            // The compact edge series: a few per edge side, built through the object model.
            var request = new WriteRequest();
            edges.Add(request, snapshot, timestampMs, RemoteWriteRequests.Replica(replica));
            bodies.AddRange(RemoteWriteRequests.EncodeBatches(request, maxSamples));
        }

        return bodies;
    }

    private async Task SendLoopAsync(HttpClient http, Uri url, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await _queued.WaitAsync(stoppingToken).ConfigureAwait(false);
            (byte[] Body, int Samples) next;
            lock (_queueLock)
            {
                if (_queue.Count == 0)
                {
                    // Dropped while waiting.
                    continue;
                }

                next = _queue.Dequeue();
                Interlocked.Add(ref _queuedSamples, -next.Samples);
            }

            await SendAsync(http, url, next.Body, next.Samples, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task SendAsync(HttpClient http, Uri url, byte[] body, int samples, CancellationToken stoppingToken)
    {
        var backoff = FirstBackoff;
        for (var attempt = 1; ; attempt++)
        {
            string problem;
            try
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
                content.Headers.ContentEncoding.Add("snappy");
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
                request.Headers.Add("X-Prometheus-Remote-Write-Version", "0.1.0");
                request.Headers.UserAgent.ParseAdd("AlsAnalyzer");
                using var response = await http.SendAsync(request, stoppingToken).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (status is >= 200 and < 300)
                {
                    Interlocked.Add(ref _sent, samples);
                    Interlocked.Exchange(ref _lastSuccessMs, time.GetUtcNow().ToUnixTimeMilliseconds());
                    return;
                }

                if (status < 500)
                {
                    // The receiver refused the data itself: sending it again cannot help.
                    Interlocked.Add(ref _failed, samples);
                    LogRefused(logger, status, samples);
                    return;
                }

                problem = $"HTTP {status}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                problem = ex.Message;
            }

            if (attempt >= MaxAttempts)
            {
                Interlocked.Add(ref _failed, samples);
                LogGaveUp(logger, attempt, samples, problem);
                return;
            }

            await Task.Delay(backoff, time, stoppingToken).ConfigureAwait(false);
            backoff = backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff;
        }
    }

    [LoggerMessage(1301, LogLevel.Warning, "Remote write refused with HTTP {Status}; {Samples} samples dropped (not retried)")]
    private static partial void LogRefused(ILogger logger, int status, int samples);

    [LoggerMessage(1302, LogLevel.Warning, "Remote write failed {Attempts} times ({Problem}); {Samples} samples dropped")]
    private static partial void LogGaveUp(ILogger logger, int attempts, int samples, string problem);

    [LoggerMessage(1304, LogLevel.Information, "Remote write at shutdown: {Samples} samples sent in {Requests} requests")]
    private static partial void LogFinalFlush(ILogger logger, long samples, int requests);

    [LoggerMessage(1305, LogLevel.Warning, "Remote write at shutdown cut short after {Seconds} s (RemoteWriteTimeoutSeconds or the shutdown time); the last samples may be missing")]
    private static partial void LogFinalFlushCut(ILogger logger, int seconds);

    [LoggerMessage(1303, LogLevel.Error, "Remote write snapshot failed")]
    private static partial void LogSnapshotFailed(ILogger logger, Exception exception);
}
