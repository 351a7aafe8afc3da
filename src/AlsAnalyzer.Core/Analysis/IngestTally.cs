using AlsAnalyzer.Core.Peers;

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

    /// <summary>Peer metadata that could not be read, by <see cref="PeerDecodeStatus"/> (Absent and Decoded stay 0).</summary>
    public readonly long[] PeerErrors = new long[Enum.GetValues<PeerDecodeStatus>().Length];

    /// <summary>Entries whose response code is not an HTTP status (outside 100-599, e.g. above 2^31).</summary>
    public long InvalidStatusCodes;

    public long PeerUnknownType => PeerErrors[(int)PeerDecodeStatus.UnknownType];

    public long PeerInvalid => PeerErrors[(int)PeerDecodeStatus.Invalid];

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
        Received = Analyzed = Unattributed = InvalidStatusCodes = 0;
        Array.Clear(Rejected);
        Array.Clear(PeerErrors);
    }
}
