namespace AlsAnalyzer.Core.Analysis;

/// <summary>
/// Byte counts already reported for each open TCP connection of one stream, so that periodic
/// entries (which carry cumulative counts) add only what is new. A proxy logs a connection
/// on one worker, hence one stream, so the state is per stream and needs no lock. Bounded:
/// past <see cref="Capacity"/> open connections the oldest is forgotten (and counted); its
/// later entries then count as a connection first seen. Across streams the connections share
/// a <see cref="TcpConnectionBudget"/>: when it is exhausted a stream makes room by forgetting
/// its own oldest connection, or, holding none, does not track the new one (counted; only its
/// final entry then counts, with its totals). <see cref="Dispose"/> gives the slots back.
/// </summary>
internal sealed class TcpConnectionTracker(int capacity = 10_000, TcpConnectionBudget? budget = null) : IDisposable
{
    private readonly TcpConnectionBudget _budget = budget ?? TcpConnectionBudget.Unlimited;

    private readonly Dictionary<ulong, (ulong Sent, ulong Received)> _open = [];
    private Queue<ulong> _order = new();

    public int Capacity { get; } = capacity;

    public int Open => _open.Count;

    /// <summary>Connections forgotten because the state was full.</summary>
    public long Evicted { get; private set; }

    /// <summary>
    /// Folds one entry's cumulative counts in. Returns the new bytes, whether the connection was
    /// first seen now (opened), and whether this entry ends it.
    /// </summary>
    /// <param name="key">The connection's key (<see cref="EntryFacts.ConnectionKey"/>); 0 when nothing identifies it.</param>
    public (ulong Sent, ulong Received, bool Opened, bool Closed) Observe(ulong key, bool closed, ulong sent, ulong received)
    {
        if (key == 0)
        {
            // Nothing identifies the connection: only its final entry counts, with its totals.
            return closed ? (sent, received, true, true) : (0, 0, false, false);
        }

        var opened = !_open.TryGetValue(key, out var last);
        if (opened && !closed && !TakeSlot())
        {
            // Not tracked: as a connection nothing identifies, only its final entry counts.
            return (0, 0, false, false);
        }

        var deltaSent = sent >= last.Sent ? sent - last.Sent : sent;
        var deltaReceived = received >= last.Received ? received - last.Received : received;
        if (closed)
        {
            if (_open.Remove(key))
            {
                _budget.Release();
            }
        }
        else
        {
            if (opened)
            {
                Evict();
                _order.Enqueue(key);
            }

            _open[key] = (sent, received);
        }

        return (deltaSent, deltaReceived, opened, closed);
    }

    /// <summary>Gives every slot of this stream's connections back to the shared budget (the stream ended).</summary>
    public void Dispose()
    {
        _budget.Release(_open.Count);
        _open.Clear();
        _order.Clear();
    }

    private bool TakeSlot()
    {
        if (_budget.TryTake())
        {
            return true;
        }

        // Every slot is taken: make room from this stream's own oldest connection, if any.
        while (_order.TryDequeue(out var oldest))
        {
            if (_open.Remove(oldest))
            {
                Evicted++;
                return true;
            }
        }

        _budget.CountRefused();
        return false;
    }

    private void Evict()
    {
        while (_open.Count >= Capacity && _order.TryDequeue(out var oldest))
        {
            if (_open.Remove(oldest))
            {
                _budget.Release();
                Evicted++;
            }
        }

        // Keys of closed connections linger in the queue; compact it when they dominate.
        if (_order.Count > 2 * Capacity)
        {
            _order = new Queue<ulong>(_order.Where(_open.ContainsKey));
        }
    }
}
