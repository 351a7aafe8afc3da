using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using AlsAnalyzer.Core.Peers;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Kubernetes;

/// <summary>
/// The IP -> peer map the ingest path reads: no lock, no I/O, no allocation. One writer
/// (<see cref="KubernetesIndexUpdater"/>) changes it in place, one IP at a time, as watch
/// events arrive; a reader sees each IP's old peer or its new one. Node addresses map to
/// <see cref="NodeAddress"/>: a host-network pod shares its node's IP, so such an IP names no
/// single workload.
/// </summary>
internal sealed class KubernetesIndex
{
    /// <summary>Stands for a node's address in the index.</summary>
    public static readonly PeerInfo NodeAddress = new() { Service = string.Empty, Namespace = string.Empty };

    /// <summary>An index that stays empty (no writer ever holds it).</summary>
    public static readonly KubernetesIndex Empty = new();

    private readonly ConcurrentDictionary<string, PeerInfo> _byIp = new(StringComparer.OrdinalIgnoreCase);
    // The inline-held IPs (every IPv4 one) again, keyed by their lower-cased text, so that an
    // entry's IP is looked up without making a string; case-insensitive like _byIp.
    private readonly ConcurrentDictionary<IpText, PeerInfo> _byIpText = new();
    private ServiceEntryIndex _serviceEntries = ServiceEntryIndex.Empty;
    private StrongBox<KubernetesCounts>? _counts;
    private long _generation;
    private int _addresses;

    /// <summary>An empty index, for <see cref="KubernetesIndexUpdater"/> to fill.</summary>
    internal KubernetesIndex()
    {
    }

    /// <summary>An index holding <paramref name="byIp"/> (keys compared case-insensitively).</summary>
    public KubernetesIndex(IReadOnlyDictionary<string, PeerInfo> byIp, KubernetesCounts counts, long generation)
    {
        foreach (var (ip, peer) in byIp)
        {
            Set(ip, peer);
        }

        Counts = counts;
        _generation = generation;
    }

    public KubernetesCounts Counts
    {
        get => Volatile.Read(ref _counts)?.Value ?? default;
        internal set => Volatile.Write(ref _counts, new StrongBox<KubernetesCounts>(value));
    }

    /// <summary>Istio ServiceEntries, naming external hosts and addresses.</summary>
    public ServiceEntryIndex ServiceEntries
    {
        get => Volatile.Read(ref _serviceEntries);
        internal set => Volatile.Write(ref _serviceEntries, value);
    }

    /// <summary>Increases with every published change.</summary>
    public long Generation => Volatile.Read(ref _generation);

    public int Addresses => Volatile.Read(ref _addresses);

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

    /// <summary>What the index holds at <paramref name="ip"/> (a peer or <see cref="NodeAddress"/>), for the writer.</summary>
    internal PeerInfo? Get(string ip) => _byIp.GetValueOrDefault(ip);

    /// <summary>Every IP held, for the writer.</summary>
    internal IEnumerable<string> Ips => _byIp.Keys;

    /// <summary>Maps <paramref name="ip"/> to <paramref name="peer"/>, or removes it (null). One writer at a time.</summary>
    internal void Set(string ip, PeerInfo? peer)
    {
        var text = IpText.FromString(ip).ToLowerAscii();
        if (peer is null)
        {
            if (_byIp.TryRemove(ip, out _))
            {
                Interlocked.Decrement(ref _addresses);
            }

            if (text.IsInline)
            {
                _byIpText.TryRemove(text, out _);
            }

            return;
        }

        // The text map first: a reader that finds the string map updated finds the other too.
        if (text.IsInline)
        {
            _byIpText[text] = peer;
        }

        if (_byIp.TryAdd(ip, peer))
        {
            Interlocked.Increment(ref _addresses);
        }
        else
        {
            _byIp[ip] = peer;
        }
    }

    /// <summary>Marks one published batch of changes.</summary>
    internal void Published() => Interlocked.Increment(ref _generation);
}

/// <summary>Objects the index was built from.</summary>
internal readonly record struct KubernetesCounts(int Pods, int Services, int EndpointSlices, int Nodes, int ServiceEntries = 0);
