using AlsAnalyzer.Core.Peers;

namespace AlsAnalyzer.Core.Kubernetes;

/// <summary>
/// The pod -> peer results of one index build, offered to the next. Records are immutable and
/// replaced on every change, so a record found by reference is an unchanged pod; each keeps
/// the services its EndpointSlices named, and the caller offers <see cref="Previous"/> only
/// while the services themselves are unchanged.
/// </summary>
internal sealed class PeerCache(Dictionary<PodRecord, (PeerInfo Peer, SortedSet<string>? Sliced)>? previous)
{
    public Dictionary<PodRecord, (PeerInfo Peer, SortedSet<string>? Sliced)>? Previous { get; } = previous;

    public Dictionary<PodRecord, (PeerInfo Peer, SortedSet<string>? Sliced)> Next { get; } = new(ReferenceEqualityComparer.Instance);
}
