using AlsAnalyzer.Core.Peers;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Analysis;

/// <summary>
/// One link of the analyzer chain: tries to identify the peer on one side of an entry.
/// The chain asks each analyzer in the configured order; the first that identifies a side
/// fills it, later ones fill only the sides still missing.
/// </summary>
internal interface IPeerAnalyzer
{
    /// <summary>The name used in configuration (<c>mx-mesh</c>, <c>k8s-mesh</c>).</summary>
    string Name { get; }

    /// <summary>Must not block, do I/O or throw on bad input.</summary>
    PeerInfo? Identify(ref EntryFacts facts, PeerPosition position, IngestTally tally);

    /// <summary>The workload at an address, for reporters whose node metadata names none; null when unknown.</summary>
    PeerInfo? IdentifyAddress(string ip) => null;

    /// <summary>As <see cref="IdentifyAddress(string)"/>, for an address as an entry logged it.</summary>
    PeerInfo? IdentifyAddress(IpText ip) => null;

    /// <summary>A registered name (an Istio ServiceEntry) for an external host or address; null when none.</summary>
    NodeRef? NameExternal(string host, IpText ip) => null;
}
