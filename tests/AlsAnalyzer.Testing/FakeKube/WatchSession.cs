using System.Threading.Channels;

namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>
/// One open watch: the lines it still has to write (filled under the store's lock, so in revision
/// order) and how the test asked it to end.
/// </summary>
internal sealed class WatchSession : IDisposable
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private int _end;

    public WatchSession(FakeKubeResource resource, ObjectFilter filter, bool bookmarks)
    {
        Resource = resource;
        Filter = filter;
        Bookmarks = bookmarks;
    }

    public enum Ending
    {
        /// <summary>Runs until its timeout (or the client leaves).</summary>
        None,

        /// <summary>End the response cleanly now, like a timeout.</summary>
        Close,

        /// <summary>Cut the connection mid-stream.</summary>
        Abort,
    }

    public FakeKubeResource Resource { get; }

    public ObjectFilter Filter { get; }

    /// <summary>The client sent <c>allowWatchBookmarks=true</c>.</summary>
    public bool Bookmarks { get; }

    public ChannelReader<string> Lines => _lines.Reader;

    /// <summary>Cancelled when the test closes or drops the watch.</summary>
    public CancellationToken Stopped => _stop.Token;

    public Ending End => (Ending)Volatile.Read(ref _end);

    public void Enqueue(string line) => _lines.Writer.TryWrite(line);

    /// <summary>No more lines: the response ends once the queued ones are written (after an ERROR event).</summary>
    public void Complete() => _lines.Writer.TryComplete();

    /// <summary>Queues the event <paramref name="e"/> means for this watch, if any (selectors turn changes into ADDED or DELETED).</summary>
    public void Offer(HistoryEvent e)
    {
        switch (e.Type)
        {
            case HistoryEvent.Added:
                if (Filter.Matches(e.New))
                {
                    Enqueue(Line(HistoryEvent.Added, e.New.Json));
                }

                break;
            case HistoryEvent.Deleted:
                if (Filter.Matches(e.New))
                {
                    Enqueue(Line(HistoryEvent.Deleted, e.New.Json));
                }

                break;
            default:
                var was = e.Old is not null && Filter.Matches(e.Old);
                var now = Filter.Matches(e.New);
                if (was && now)
                {
                    Enqueue(Line(HistoryEvent.Modified, e.New.Json));
                }
                else if (now)
                {
                    Enqueue(Line(HistoryEvent.Added, e.New.Json));
                }
                else if (was)
                {
                    // As the watch cache does: the previous content, at the revision of the change.
                    Enqueue(Line(HistoryEvent.Deleted, e.Old!.WithResourceVersion(e.ResourceVersion).Json));
                }

                break;
        }
    }

    public void Stop(Ending how)
    {
        Interlocked.CompareExchange(ref _end, (int)how, (int)Ending.None);
        _stop.Cancel();
    }

    public void Dispose() => _stop.Dispose();

    public static string Line(string type, string objectJson) => $$"""{"type":"{{type}}","object":{{objectJson}}}""";
}
