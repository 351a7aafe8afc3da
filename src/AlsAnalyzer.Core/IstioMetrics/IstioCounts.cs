namespace AlsAnalyzer.Core.IstioMetrics;

/// <summary>
/// The figures of one Istio series: request count and three histograms (duration in
/// microseconds, request and response sizes) for HTTP/gRPC, bytes and connections for TCP.
/// Buckets are per bucket (not cumulative); exposition accumulates them.
/// </summary>
internal sealed class IstioCounts
{
    public const int DurationOffset = 0;
    public static readonly int RequestBytesOffset = IstioNames.Buckets;
    public static readonly int ResponseBytesOffset = 2 * IstioNames.Buckets;

    public readonly long[] Buckets = new long[3 * IstioNames.Buckets];

    /// <summary>Records folded in (requests, or TCP entries).</summary>
    public long Records;
    public long Requests;
    public long DurationMicrosSum;
    public long RequestBytesSum;
    public long ResponseBytesSum;
    public long TcpSentBytes;
    public long TcpReceivedBytes;
    public long TcpOpened;
    public long TcpClosed;

    public void Add(IstioCounts other)
    {
        Records += other.Records;
        Requests += other.Requests;
        DurationMicrosSum += other.DurationMicrosSum;
        RequestBytesSum += other.RequestBytesSum;
        ResponseBytesSum += other.ResponseBytesSum;
        TcpSentBytes += other.TcpSentBytes;
        TcpReceivedBytes += other.TcpReceivedBytes;
        TcpOpened += other.TcpOpened;
        TcpClosed += other.TcpClosed;
        var a = Buckets;
        var b = other.Buckets;
        for (var i = 0; i < a.Length; i++)
        {
            a[i] += b[i];
        }
    }

    public void Add(IstioShardCell other)
    {
        Records += other.Records;
        Requests += other.Requests;
        DurationMicrosSum += other.DurationMicrosSum;
        RequestBytesSum += other.RequestBytesSum;
        ResponseBytesSum += other.ResponseBytesSum;
        TcpSentBytes += other.TcpSentBytes;
        TcpReceivedBytes += other.TcpReceivedBytes;
        TcpOpened += other.TcpOpened;
        TcpClosed += other.TcpClosed;
        var a = Buckets;
        for (var i = 0; i < a.Length; i++)
        {
            a[i] += other.Bucket(i);
        }
    }

    public void Clear()
    {
        Records = Requests = DurationMicrosSum = RequestBytesSum = ResponseBytesSum = 0;
        TcpSentBytes = TcpReceivedBytes = TcpOpened = TcpClosed = 0;
        Array.Clear(Buckets);
    }
}
