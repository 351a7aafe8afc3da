using AlsAnalyzer.Core.Peers;
using Envoy.Data.Accesslog.V3;

namespace AlsAnalyzer.Core.Analysis;

/// <summary>
/// <c>mx-mesh</c>: the peer from Istio's metadata exchange, logged in filter state. Needs no
/// Kubernetes access, so it also identifies VMs.
/// </summary>
internal sealed class MxMeshAnalyzer : IPeerAnalyzer
{
    public const string AnalyzerName = "mx-mesh";

    public string Name => AnalyzerName;

    public PeerInfo? Identify(AccessLogCommon common, PeerPosition position, IngestTally tally)
    {
        switch (PeerMetadataReader.TryRead(common.FilterStateObjects, position, out var peer))
        {
            case PeerDecodeStatus.Decoded:
                return peer;
            case PeerDecodeStatus.UnknownType:
                tally.PeerUnknownType++;
                return null;
            case PeerDecodeStatus.Invalid:
                tally.PeerInvalid++;
                return null;
            default:
                return null;
        }
    }
}
