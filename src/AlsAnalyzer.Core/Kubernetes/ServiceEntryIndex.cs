using System.Collections.Frozen;
using System.Net;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Kubernetes;

/// <summary>
/// Istio ServiceEntries as names for traffic that left the mesh: a host (exact, else the
/// longest <c>*.</c> wildcard) or an address (exact IP, else a CIDR range) maps to an
/// external node named by the entry's first host, in the entry's namespace. Of several
/// entries claiming the same host or address, the one first by namespace/name wins, so the
/// choice does not depend on watch order. Immutable; read on the rare path of calls that
/// bypassed the registry or went to a non-Kubernetes host.
/// </summary>
internal sealed class ServiceEntryIndex
{
    public static readonly ServiceEntryIndex Empty = new([]);

    private readonly FrozenDictionary<string, NodeRef> _byHost;
    private readonly FrozenDictionary<string, NodeRef> _byWildcard;
    private readonly FrozenDictionary<string, NodeRef> _byIp;
    private readonly (IPNetwork Range, NodeRef Node)[] _ranges;

    public ServiceEntryIndex(IEnumerable<ServiceEntryRecord> entries)
    {
        var hosts = new Dictionary<string, NodeRef>(StringComparer.OrdinalIgnoreCase);
        var wildcards = new Dictionary<string, NodeRef>(StringComparer.OrdinalIgnoreCase);
        var ips = new Dictionary<string, NodeRef>(StringComparer.OrdinalIgnoreCase);
        var ranges = new List<(IPNetwork, NodeRef)>();
        foreach (var entry in entries.OrderBy(e => e.Namespace, StringComparer.Ordinal).ThenBy(e => e.Name, StringComparer.Ordinal))
        {
            if (entry.Hosts.Count == 0)
            {
                continue;
            }

            var node = NodeRef.External(entry.Namespace, entry.Hosts[0]);
            foreach (var host in entry.Hosts)
            {
                if (host.StartsWith("*.", StringComparison.Ordinal))
                {
                    wildcards.TryAdd(host[1..], node);
                }
                else
                {
                    hosts.TryAdd(host, node);
                }
            }

            foreach (var address in entry.Addresses)
            {
                if (IPAddress.TryParse(address, out var ip))
                {
                    ips.TryAdd(ip.ToString(), node);
                }
                else if (IPNetwork.TryParse(address, out var range))
                {
                    ranges.Add((range, node));
                }
            }
        }

        _byHost = hosts.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _byWildcard = wildcards.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _byIp = ips.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _ranges = [.. ranges];
        Count = hosts.Count + wildcards.Count + ips.Count + ranges.Count;
    }

    /// <summary>Hosts, wildcards, addresses and ranges held.</summary>
    public int Count { get; }

    /// <summary>The external node for a host (the request authority or a cluster's fqdn) or, failing that, an address; null when no entry claims either.</summary>
    public NodeRef? Find(string host, IpText ip)
    {
        if (Count == 0)
        {
            return null;
        }

        if (host.Length > 0 && FindHost(host) is { } byHost)
        {
            return byHost;
        }

        if (ip.IsEmpty)
        {
            return null;
        }

        var text = ip.ToString();
        if (_byIp.TryGetValue(text, out var byIp))
        {
            return byIp;
        }

        if (_ranges.Length > 0 && IPAddress.TryParse(text, out var address))
        {
            foreach (var (range, node) in _ranges)
            {
                if (range.Contains(address))
                {
                    return node;
                }
            }
        }

        return null;
    }

    private NodeRef? FindHost(string host)
    {
        if (_byHost.TryGetValue(host, out var exact))
        {
            return exact;
        }

        // The longest wildcard first: "*.eu.example.com" beats "*.example.com".
        for (var dot = host.IndexOf('.', StringComparison.Ordinal); dot >= 0; dot = host.IndexOf('.', dot + 1))
        {
            if (_byWildcard.TryGetValue(host[dot..], out var wildcard))
            {
                return wildcard;
            }
        }

        return null;
    }
}
