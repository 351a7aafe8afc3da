using System.Threading.Channels;
using k8s;

namespace AlsAnalyzer.Server.Tests.FakeKube;

/// <summary>
/// Runs one KubernetesClient watch enumeration in the background and records what it yields, what it
/// reports through onError, and how it ends, so a test can await each with a timeout.
/// </summary>
internal sealed class WatchRecorder<T> : IAsyncDisposable
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(15);

    private readonly Channel<(WatchEventType Type, T Object)> _events = Channel.CreateUnbounded<(WatchEventType, T)>();
    private readonly Channel<Exception> _errors = Channel.CreateUnbounded<Exception>();
    private readonly CancellationTokenSource _cts;

    private WatchRecorder(CancellationToken cancellationToken)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _cts.CancelAfter(TimeSpan.FromSeconds(60));
    }

    /// <summary>Completes when the enumeration ends; faults with what it threw.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Starts <paramref name="watch"/> (given the onError callback and a token) on the thread pool.</summary>
    public static WatchRecorder<T> Start(Func<Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch, CancellationToken cancellationToken)
    {
        var recorder = new WatchRecorder<T>(cancellationToken);
        recorder.Completion = Task.Run(() => recorder.RunAsync(watch), CancellationToken.None);
        return recorder;
    }

    public async Task<(WatchEventType Type, T Object)> NextAsync(TimeSpan? wait = null) =>
        await _events.Reader.ReadAsync(_cts.Token).AsTask().WaitAsync(wait ?? DefaultWait, _cts.Token);

    public async Task<List<(WatchEventType Type, T Object)>> TakeAsync(int count, TimeSpan? wait = null)
    {
        var result = new List<(WatchEventType, T)>();
        for (var i = 0; i < count; i++)
        {
            result.Add(await NextAsync(wait));
        }

        return result;
    }

    public async Task<Exception> NextErrorAsync(TimeSpan? wait = null) =>
        await _errors.Reader.ReadAsync(_cts.Token).AsTask().WaitAsync(wait ?? DefaultWait, _cts.Token);

    /// <summary>Waits for the enumeration to end; returns what it threw, or null when it completed.</summary>
    public async Task<Exception?> EndAsync(TimeSpan? wait = null)
    {
        try
        {
            await Completion.WaitAsync(wait ?? DefaultWait, _cts.Token);
            return null;
        }
        catch (TimeoutException)
        {
            throw;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    /// <summary>Events yielded so far and not yet taken.</summary>
    public List<(WatchEventType Type, T Object)> Drain()
    {
        var result = new List<(WatchEventType, T)>();
        while (_events.Reader.TryRead(out var e))
        {
            result.Add(e);
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        try
        {
            await Completion.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is not TimeoutException)
        {
            // Ended by the cancellation, or already failed (the test looked at it).
        }

        _cts.Dispose();
    }

    private async Task RunAsync(Func<Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch)
    {
        try
        {
            await foreach (var e in watch(ex => _errors.Writer.TryWrite(ex), _cts.Token))
            {
                _events.Writer.TryWrite(e);
            }
        }
        finally
        {
            _events.Writer.TryComplete();
            _errors.Writer.TryComplete();
        }
    }
}
