namespace AlsAnalyzer.Core.Analysis;

/// <summary>
/// Per-message accounting, folded into the self-metrics once per message rather than per
/// entry. Invariant: <c>Received == Analyzed + Unattributed + sum(Rejected)</c>.
/// </summary>
internal sealed class IngestTally
{
    public long Received;
    public long Analyzed;
    public long Unattributed;
    public readonly long[] Rejected = new long[RejectReasonNames.All.Length];
    public long PeerUnknownType;
    public long PeerInvalid;

    public long RejectedTotal
    {
        get
        {
            long sum = 0;
            foreach (var r in Rejected)
            {
                sum += r;
            }

            return sum;
        }
    }

    public void Reject(RejectReason reason, long count = 1) => Rejected[(int)reason] += count;

    public void Clear()
    {
        Received = Analyzed = Unattributed = PeerUnknownType = PeerInvalid = 0;
        Array.Clear(Rejected);
    }
}
