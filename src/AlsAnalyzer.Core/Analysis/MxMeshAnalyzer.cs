using AlsAnalyzer.Core.Peers;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Analysis;

/// <summary>
/// <c>mx-mesh</c>: the peer from Istio's metadata exchange, logged in filter state. Needs no
/// Kubernetes access, so it also identifies VMs.
/// </summary>
internal sealed class MxMeshAnalyzer : IPeerAnalyzer
{
    public const string AnalyzerName = AnalysisOptions.MxMesh;

    public string Name => AnalyzerName;

    /// <summary>The decoders read the peer metadata; this reports it and counts what could not be read.</summary>
    public PeerInfo? Identify(ref EntryFacts facts, PeerPosition position, IngestTally tally)
    {
        var (status, peer) = position == PeerPosition.Upstream
            ? (facts.UpstreamPeerStatus, facts.UpstreamPeer)
            : (facts.DownstreamPeerStatus, facts.DownstreamPeer);
        switch (status)
        {
            case PeerDecodeStatus.Decoded:
                return peer;
            case PeerDecodeStatus.Absent:
                return null;
            default:
                // Unknown type, invalid, or over the peer budget: counted by reason.
                tally.PeerErrors[(int)status]++;
                return null;
        }
    }
}
