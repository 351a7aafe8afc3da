namespace AlsAnalyzer.Core.Query;

/// <summary>
/// The <c>n</c> greatest items of a stream, in a min-heap of at most <c>n</c>: O(items log n)
/// time, O(n) memory. Ties go to the item whose tie-break key sorts first (ordinal), so an
/// answer does not depend on dictionary order.
/// </summary>
internal sealed class TopN<T>
{
    private readonly int _n;
    private readonly PriorityQueue<T, (Rank Rank, string Tie)> _heap;

    public TopN(int n)
    {
        _n = n;
        _heap = new PriorityQueue<T, (Rank, string)>(Math.Min(n, 1024), Comparer<(Rank Rank, string Tie)>.Create((a, b) =>
        {
            var c = a.Rank.CompareTo(b.Rank);

            // The heap's minimum is dropped first: among equals, the later name is the smaller.
            return c != 0 ? c : string.CompareOrdinal(b.Tie, a.Tie);
        }));
    }

    public int Count => _heap.Count;

    /// <summary>Offers an item; <paramref name="tie"/> is only asked for when the heap is full and the rank ties.</summary>
    public void Offer(T item, Rank rank, Func<T, string> tie)
    {
        if (_n <= 0)
        {
            return;
        }

        if (_heap.Count < _n)
        {
            _heap.Enqueue(item, (rank, tie(item)));
            return;
        }

        _heap.TryPeek(out _, out var min);
        var c = rank.CompareTo(min.Rank);
        if (c > 0 || (c == 0 && string.CompareOrdinal(tie(item), min.Tie) < 0))
        {
            _heap.EnqueueDequeue(item, (rank, tie(item)));
        }
    }

    public List<T> Items()
    {
        var list = new List<T>(_heap.Count);
        foreach (var (item, _) in _heap.UnorderedItems)
        {
            list.Add(item);
        }

        return list;
    }
}
