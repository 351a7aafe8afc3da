namespace AlsAnalyzer.Core.IstioMetrics;

/// <summary>
/// One key's figures in a shard table since its last fold (<see cref="IstioShardTable"/>):
/// as <see cref="IstioCounts"/>, with the three histograms' buckets held in the object itself,
/// counted in 32 bits - one pointer hop and half the cache lines per record. A table is
/// folded every collect interval (at most a minute), far below 2^31 records in one bucket.
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

    /// <summary>Per bucket, at <see cref="IstioCounts.DurationOffset"/>, <see cref="IstioCounts.RequestBytesOffset"/> and <see cref="IstioCounts.ResponseBytesOffset"/>.</summary>
    public BucketCounts Buckets;

    public void Clear()
    {
        Records = Requests = DurationMicrosSum = RequestBytesSum = ResponseBytesSum = 0;
        TcpSentBytes = TcpReceivedBytes = TcpOpened = TcpClosed = 0;
        Buckets = default;
    }

    /// <summary>The three histograms' buckets (<see cref="IstioNames.Buckets"/> each, 20).</summary>
    [System.Runtime.CompilerServices.InlineArray(60)]
    internal struct BucketCounts
    {
        private int _first;
    }
}
