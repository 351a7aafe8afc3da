namespace AlsAnalyzer.Core.Analysis;

/// <summary>
/// Open TCP connections tracked across every stream, against one cap derived from the memory
/// budget (<see cref="BytesPerConnection"/> each). Each stream's <see cref="TcpConnectionTracker"/>
/// takes a slot per connection it starts tracking and gives it back when the connection ends,
/// is evicted, or the stream ends. Only TCP connections first seen touch it (one interlocked
/// operation), never HTTP entries.
/// </summary>
internal sealed class TcpConnectionBudget(long capacity)
{
    /// <summary>
    /// A tracked connection: its dictionary entry (8-byte key, 16-byte counts, hash and next:
    /// 32, x1.5 for the doubling slack) and its queue slots (8, up to 3 while closed keys linger).
    /// </summary>
    public const int BytesPerConnection = 72;

    private long _held;
    private long _refused;

    public static TcpConnectionBudget Unlimited { get; } = new(long.MaxValue);

    public long Capacity { get; } = capacity;

    public long Held => Interlocked.Read(ref _held);

    /// <summary>Connections not tracked because every slot was taken and their stream held none to give up.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public static TcpConnectionBudget FromBytes(long bytes) => new(Math.Max(1, bytes / BytesPerConnection));

    public bool TryTake()
    {
        if (Interlocked.Increment(ref _held) <= Capacity)
        {
            return true;
        }

        Interlocked.Decrement(ref _held);
        return false;
    }

    public void Release(int count = 1) => Interlocked.Add(ref _held, -count);

    public void CountRefused() => Interlocked.Increment(ref _refused);
}
