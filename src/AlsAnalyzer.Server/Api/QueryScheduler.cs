using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Api;

/// <summary>
/// Runs the queries over the minute ring on <see cref="ApiOptions.MaxConcurrentQueries"/>
/// dedicated threads of lower OS priority than ingest (<see cref="ApiOptions.QueryThreadNice"/>),
/// with at most <see cref="ApiOptions.MaxQueuedQueries"/> waiting: a query never takes more
/// than those threads' share of the CPU from the ingest read loops, and a burst of queries is
/// refused rather than queued without bound.
/// </summary>
internal sealed class QueryScheduler : IDisposable
{
    private readonly BlockingCollection<Action> _queue;
    private readonly Thread[] _threads;
    private int _running;
    private int _inFlight;
    private long _rejected;
    private long _completed;

    public QueryScheduler(IOptions<ApiOptions> options)
    {
        var settings = options.Value;
        _queue = new BlockingCollection<Action>(new ConcurrentQueue<Action>());
        Capacity = settings.MaxQueuedQueries + settings.MaxConcurrentQueries;
        _threads = new Thread[settings.MaxConcurrentQueries];
        for (var i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(() => Work(settings.QueryThreadNice))
            {
                IsBackground = true,
                Name = $"als-query-{i}",
            };
            _threads[i].Start();
        }
    }

    /// <summary>Queries running or waiting at most; past it <see cref="TrySchedule{T}"/> refuses.</summary>
    public int Capacity { get; }

    public int Running => Volatile.Read(ref _running);

    public int Queued => _queue.Count;

    public long Rejected => Interlocked.Read(ref _rejected);

    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>The OS nice value the query threads run at (what the last one to start obtained).</summary>
    public int? ThreadNice { get; private set; }

    /// <summary>Queues <paramref name="work"/>; null when the queue is full (the caller answers 503).</summary>
    public Task<T>? TrySchedule<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Run()
        {
            Interlocked.Increment(ref _running);
            try
            {
                done.SetResult(work());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
            finally
            {
                Interlocked.Decrement(ref _running);
                Interlocked.Decrement(ref _inFlight);
                Interlocked.Increment(ref _completed);
            }
        }

        // Running and waiting queries together: the queue alone does not count those running.
        if (Interlocked.Increment(ref _inFlight) > Capacity || _queue.IsAddingCompleted || !_queue.TryAdd(Run))
        {
            Interlocked.Decrement(ref _inFlight);
            Interlocked.Increment(ref _rejected);
            return null;
        }

        return done.Task;
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }

        _queue.Dispose();
    }

    private void Work(int nice)
    {
        ThreadNice = ThreadPriorities.LowerCurrentThread(nice);
        try
        {
            foreach (var work in _queue.GetConsumingEnumerable())
            {
                work();
            }
        }
        catch (ObjectDisposedException)
        {
            // Shutting down.
        }
    }
}
