using System.Collections.Frozen;
using AlsAnalyzer.Core.Peers;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Kubernetes;

/// <summary>
/// An immutable IP -> peer map built from the watched objects, swapped by reference when the
/// watch delivers changes. The ingest path only reads it: no lock, no I/O, no allocation.
/// Node addresses map to <see cref="NodeAddress"/>: a host-network pod shares its node's IP,
/// so such an IP names no single workload.
/// </summary>
internal sealed class KubernetesIndex
{
    /// <summary>Stands for a node's address in the index.</summary>
    public static readonly PeerInfo NodeAddress = new() { Service = string.Empty, Namespace = string.Empty };

    public static readonly KubernetesIndex Empty = new(FrozenDictionary<string, PeerInfo>.Empty, default, 0);

    private readonly FrozenDictionary<string, PeerInfo> _byIp;
    // The inline-held IPs (every IPv4 one) again, keyed by their lower-cased text, so that an
    // entry's IP is looked up without making a string; case-insensitive like _byIp.
    private readonly FrozenDictionary<IpText, PeerInfo> _byIpText;

    public KubernetesIndex(FrozenDictionary<string, PeerInfo> byIp, KubernetesCounts counts, long generation)
    {
        _byIp = byIp;
        _byIpText = byIp
            .Select(p => (Key: IpText.FromString(p.Key).ToLowerAscii(), p.Value))
            .Where(p => p.Key.IsInline)
            .ToFrozenDictionary(p => p.Key, p => p.Value);
        Counts = counts;
        Generation = generation;
    }

    public KubernetesCounts Counts { get; }

    /// <summary>Istio ServiceEntries, naming external hosts and addresses.</summary>
    public ServiceEntryIndex ServiceEntries { get; init; } = ServiceEntryIndex.Empty;

    /// <summary>Increases with every rebuild.</summary>
    public long Generation { get; }

    public int Addresses => _byIp.Count;

    /// <summary>The peer at <paramref name="ip"/>; null for unknown IPs and node addresses.</summary>
    public PeerInfo? Lookup(string ip) =>
        ip.Length > 0 && _byIp.TryGetValue(ip, out var peer) && !ReferenceEquals(peer, NodeAddress) ? peer : null;

    /// <summary>As <see cref="Lookup(string)"/>, for an IP as an entry logged it (no string made).</summary>
    public PeerInfo? Lookup(IpText ip)
    {
        if (ip.IsEmpty)
        {
            return null;
        }

        if (!ip.IsInline)
        {
            // Held as a string already (long or non-ASCII text).
            return Lookup(ip.ToString());
        }

        return _byIpText.TryGetValue(ip.ToLowerAscii(), out var peer) && !ReferenceEquals(peer, NodeAddress) ? peer : null;
    }

    /// <summary>True when the IP is a node's address (and so names no workload).</summary>
    public bool IsNodeAddress(string ip) => _byIp.TryGetValue(ip, out var peer) && ReferenceEquals(peer, NodeAddress);
}

/// <summary>Objects the index was built from.</summary>
internal readonly record struct KubernetesCounts(int Pods, int Services, int EndpointSlices, int Nodes);
