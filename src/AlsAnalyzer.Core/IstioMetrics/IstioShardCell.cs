namespace AlsAnalyzer.Core.IstioMetrics;

/// <summary>
/// One key's figures in a shard table since its last fold (<see cref="IstioShardTable"/>):
/// as <see cref="IstioCounts"/>, with the three histograms' buckets held in the object itself
/// in 16 bits (<see cref="Low"/>: the sixty in 120 bytes, two cache lines), carried every
/// 65,536 into <see cref="Carry"/>, made at the first carry and kept with the cell.
/// </summary>
internal sealed class IstioShardCell(in IstioKey key)
{
    /// <summary>The series this cell counts for (default for an overflow cell, which no record matches).</summary>
    public readonly IstioKey Key = key;

    public long Records;
    public long Requests;
    public long DurationMicrosSum;
    public long RequestBytesSum;
    public long ResponseBytesSum;
    public long TcpSentBytes;
    public long TcpReceivedBytes;
    public long TcpOpened;
    public long TcpClosed;

    /// <summary>Folds in a row that found this key idle.</summary>
    public int IdleFolds;

    /// <summary>Per bucket, at <see cref="IstioCounts.DurationOffset"/>, <see cref="IstioCounts.RequestBytesOffset"/> and <see cref="IstioCounts.ResponseBytesOffset"/>: the count modulo 65,536.</summary>
    public LowCounts Low;

    /// <summary>Per bucket: the count divided by 65,536 (null until a bucket first carried).</summary>
    public uint[]? Carry;

    /// <summary>Counts one observation in bucket <paramref name="i"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Observe(int i)
    {
        if (++Low[i] == 0)
        {
            (Carry ??= new uint[3 * IstioNames.Buckets])[i]++;
        }
    }

    /// <summary>Observations in bucket <paramref name="i"/>.</summary>
    public long Bucket(int i) => ((long)(Carry is { } carry ? carry[i] : 0) << 16) | Low[i];

    public void Clear()
    {
        Records = Requests = DurationMicrosSum = RequestBytesSum = ResponseBytesSum = 0;
        TcpSentBytes = TcpReceivedBytes = TcpOpened = TcpClosed = 0;
        Low = default;
        if (Carry is { } carry)
        {
            Array.Clear(carry);
        }
    }

    /// <summary>The three histograms' buckets (<see cref="IstioNames.Buckets"/> each, 20), low 16 bits.</summary>
    [System.Runtime.CompilerServices.InlineArray(60)]
    internal struct LowCounts
    {
        private ushort _first;
    }
}
