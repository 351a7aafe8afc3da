namespace AlsAnalyzer.Core.Metrics;

/// <summary>Per-message accounting of metric samples: <c>Samples == Accepted + sum(Rejected)</c>.</summary>
internal sealed class MetricsTally
{
    public long Families;
    public long Samples;
    public long Accepted;
    public readonly long[] Rejected = new long[SampleRejectReasonNames.All.Length];

    public void Reject(SampleRejectReason reason, long count = 1) => Rejected[(int)reason] += count;

    public void Clear()
    {
        Families = Samples = Accepted = 0;
        Array.Clear(Rejected);
    }
}
