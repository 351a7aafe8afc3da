using AlsAnalyzer.Core.Peers;

namespace AlsAnalyzer.Core.Kubernetes;

/// <summary>
/// Keeps a <see cref="KubernetesIndex"/> up to date per watch event, by the rules of
/// <see cref="KubernetesIndexBuilder"/>. Setting or removing an object records what it
/// touches: a pod its IPs; an EndpointSlice the pods whose services it adds or removes; a
/// node its addresses; a service its cluster IPs and the pods of its namespace that its old or
/// new selector matches or whose slices name it (found by matching that namespace's pods, the
/// one cost here proportional to more than the change). <see cref="Publish"/> then recomputes
/// those pods' peers and those IPs' winners, and writes into the index only the IPs whose peer
/// changed. After <see cref="RecomputeAll"/> (the caller's choice after a full list, where
/// every object arrives at once) the next publish recomputes everything, as a whole build does.
/// Not thread-safe: one writer at a time; the index itself is read concurrently.
/// </summary>
internal sealed class KubernetesIndexUpdater(ServiceNameTemplate template)
{
    // Namespace -> pod name -> the pod's state.
    private readonly Dictionary<string, Dictionary<string, PodState>> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Ns, string Name), ServiceState> _services = [];
    private readonly Dictionary<string, Dictionary<string, ServiceState>> _servicesByNamespace = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Ns, string Name), EndpointSliceRecord> _slices = [];

    // (namespace, label, value) -> the services whose selector's first label (by ordinal) is that
    // one: a pod's candidates are found from its own labels, not by matching every selector.
    private readonly Dictionary<(string Ns, string Key, string Value), List<ServiceState>> _selectors = [];

    // (pod namespace, pod name) -> service name -> how many slice endpoints name the pod for it.
    private readonly Dictionary<(string Ns, string Pod), Dictionary<string, int>> _sliced = [];
    private readonly Dictionary<string, NodeRecord> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Ns, string Name), ServiceEntryRecord> _serviceEntries = [];

    // IP -> every object that claims it (case-insensitive, like the index).
    private readonly Dictionary<string, IpClaims> _claims = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<PodState> _dirtyPods = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _dirtyIps = new(StringComparer.OrdinalIgnoreCase);
    private int _podCount;
    private bool _all = true;
    private bool _serviceEntriesChanged;
    private bool _countsChanged = true;

    /// <summary>The index this updater writes; readers may hold it for good.</summary>
    public KubernetesIndex Index { get; } = new();

    /// <summary>True when a <see cref="Publish"/> has something to do.</summary>
    public bool Pending => _all || _dirtyPods.Count > 0 || _dirtyIps.Count > 0 || _serviceEntriesChanged || _countsChanged;

    /// <summary>Makes the next <see cref="Publish"/> recompute every pod and IP (and skips tracking what each change touches until then).</summary>
    public void RecomputeAll()
    {
        _all = true;
        _dirtyPods.Clear();
        _dirtyIps.Clear();
    }

    public void SetPod(PodRecord pod)
    {
        if (!_pods.TryGetValue(pod.Namespace, out var inNamespace))
        {
            _pods[pod.Namespace] = inNamespace = new Dictionary<string, PodState>(StringComparer.Ordinal);
        }

        var state = new PodState(pod);
        if (inNamespace.Remove(pod.Name, out var old))
        {
            Unclaim(old);
            _dirtyPods.Remove(old);

            // Kept if the recomputed peer equals it: readers keep seeing one instance.
            state.Peer = old.Peer;
        }
        else
        {
            _podCount++;
        }

        inNamespace[pod.Name] = state;
        Claim(state);
        if (!_all && state.Indexed)
        {
            _dirtyPods.Add(state);
        }

        _countsChanged = true;
    }

    public void RemovePod(PodRecord pod)
    {
        if (_pods.TryGetValue(pod.Namespace, out var inNamespace) && inNamespace.Remove(pod.Name, out var old))
        {
            Unclaim(old);
            _dirtyPods.Remove(old);
            _podCount--;
            _countsChanged = true;
            if (inNamespace.Count == 0)
            {
                _pods.Remove(pod.Namespace);
            }
        }
    }

    public void SetService(ServiceRecord service)
    {
        var key = (service.Namespace, service.Name);
        var peer = KubernetesIndexBuilder.ServicePeer(service);
        _services.TryGetValue(key, out var old);
        if (old is not null)
        {
            UnclaimService(old);
            Unselect(old);
            if (old.Peer.Equals(peer))
            {
                peer = old.Peer;
            }
        }

        var state = new ServiceState(service, peer);
        _services[key] = state;
        if (!_servicesByNamespace.TryGetValue(service.Namespace, out var inNamespace))
        {
            _servicesByNamespace[service.Namespace] = inNamespace = new Dictionary<string, ServiceState>(StringComparer.Ordinal);
        }

        inNamespace[service.Name] = state;
        ClaimService(state);
        if (SelectorKey(service) is { } selectorKey)
        {
            if (!_selectors.TryGetValue(selectorKey, out var selecting))
            {
                _selectors[selectorKey] = selecting = [];
            }

            selecting.Add(state);
        }

        TouchSelected(service.Namespace, service.Name, old?.Record, service);
        _countsChanged = true;
    }

    public void RemoveService(ServiceRecord service)
    {
        var key = (service.Namespace, service.Name);
        if (!_services.Remove(key, out var old))
        {
            return;
        }

        var inNamespace = _servicesByNamespace[service.Namespace];
        inNamespace.Remove(service.Name);
        if (inNamespace.Count == 0)
        {
            _servicesByNamespace.Remove(service.Namespace);
        }

        UnclaimService(old);
        Unselect(old);
        TouchSelected(service.Namespace, service.Name, old.Record, null);
        _countsChanged = true;
    }

    public void SetSlice(EndpointSliceRecord slice)
    {
        var key = (slice.Namespace, slice.Name);
        _slices.TryGetValue(key, out var old);
        _slices[key] = slice;

        // Count the new endpoints in before the old ones out, so that a pod named by both
        // versions never drops to zero and is not recomputed for nothing.
        Slice(slice, +1);
        if (old is not null)
        {
            Slice(old, -1);
        }

        _countsChanged = true;
    }

    public void RemoveSlice(EndpointSliceRecord slice)
    {
        if (_slices.Remove((slice.Namespace, slice.Name), out var old))
        {
            Slice(old, -1);
            _countsChanged = true;
        }
    }

    public void SetNode(NodeRecord node)
    {
        if (_nodes.TryGetValue(node.Name, out var old))
        {
            ClaimNode(old, -1);
        }

        _nodes[node.Name] = node;
        ClaimNode(node, +1);
        _countsChanged = true;
    }

    public void RemoveNode(NodeRecord node)
    {
        if (_nodes.Remove(node.Name, out var old))
        {
            ClaimNode(old, -1);
            _countsChanged = true;
        }
    }

    public void SetServiceEntry(ServiceEntryRecord entry)
    {
        _serviceEntries[(entry.Namespace, entry.Name)] = entry;
        _serviceEntriesChanged = true;
    }

    public void RemoveServiceEntry(ServiceEntryRecord entry) =>
        _serviceEntriesChanged |= _serviceEntries.Remove((entry.Namespace, entry.Name));

    /// <summary>
    /// What the last <see cref="Publish"/> worked out again: pods whose peer it recomputed and
    /// IPs it resolved. After changes, as many as they touched; after <see cref="RecomputeAll"/>,
    /// every pod and IP.
    /// </summary>
    public (int Pods, int Ips) LastWork { get; private set; }

    /// <summary>
    /// Brings the index up to date with every change since the last publish. Returns true
    /// when it recomputed everything (after <see cref="RecomputeAll"/>), false when it
    /// recomputed only what the changes touched.
    /// </summary>
    public bool Publish()
    {
        var all = _all;
        var changed = false;
        var (pods, resolved) = (0, 0);
        if (all)
        {
            foreach (var inNamespace in _pods.Values)
            {
                foreach (var state in inNamespace.Values)
                {
                    if (state.Indexed)
                    {
                        Recompute(state);
                        pods++;
                    }
                }
            }

            // Every IP claimed now, and every IP the index holds (some may be claimed no more).
            var ips = new HashSet<string>(_claims.Keys, StringComparer.OrdinalIgnoreCase);
            ips.UnionWith(Index.Ips);
            foreach (var ip in ips)
            {
                changed |= Resolve(ip);
            }

            resolved = ips.Count;
            _all = false;
        }
        else
        {
            foreach (var state in _dirtyPods)
            {
                if (Recompute(state))
                {
                    _dirtyIps.UnionWith(state.Record.Ips);
                }
            }

            foreach (var ip in _dirtyIps)
            {
                changed |= Resolve(ip);
            }

            (pods, resolved) = (_dirtyPods.Count, _dirtyIps.Count);
        }

        LastWork = (pods, resolved);

        _dirtyPods.Clear();
        _dirtyIps.Clear();
        if (_serviceEntriesChanged)
        {
            _countsChanged = true;
            Index.ServiceEntries = _serviceEntries.Count > 0 ? new ServiceEntryIndex(_serviceEntries.Values) : ServiceEntryIndex.Empty;
            _serviceEntriesChanged = false;
            changed = true;
        }

        if (_countsChanged)
        {
            Index.Counts = new KubernetesCounts(_podCount, _services.Count, _slices.Count, _nodes.Count, _serviceEntries.Count);
            _countsChanged = false;
        }

        if (changed)
        {
            Index.Published();
        }

        return all;
    }

    /// <summary>Recomputes a pod's peer; true when it changed (an equal peer keeps the old instance).</summary>
    private bool Recompute(PodState state)
    {
        var pod = state.Record;
        _servicesByNamespace.TryGetValue(pod.Namespace, out var inNamespace);
        _sliced.TryGetValue((pod.Namespace, pod.Name), out var sliced);
        List<ServiceRecord>? selecting = null;
        if (inNamespace is not null)
        {
            foreach (var (key, value) in pod.Labels)
            {
                if (_selectors.TryGetValue((pod.Namespace, key, value), out var services))
                {
                    foreach (var s in services)
                    {
                        (selecting ??= []).Add(s.Record);
                    }
                }
            }
        }

        var service = KubernetesIndexBuilder.ChooseService(
            pod,
            sliced?.Keys,
            selecting,
            name => inNamespace is not null && inNamespace.TryGetValue(name, out var s) ? s.Record : null);
        var peer = KubernetesIndexBuilder.Peer(pod, service, template);
        if (state.Peer is not null && state.Peer.Equals(peer))
        {
            return false;
        }

        state.Peer = peer;
        return true;
    }

    /// <summary>The label a service is found by in <see cref="_selectors"/>: its selector's first by ordinal; null without a selector.</summary>
    private static (string Ns, string Key, string Value)? SelectorKey(ServiceRecord service)
    {
        string? first = null;
        foreach (var key in service.Selector.Keys)
        {
            if (first is null || string.CompareOrdinal(key, first) < 0)
            {
                first = key;
            }
        }

        return first is null ? null : (service.Namespace, first, service.Selector[first]);
    }

    private void Unselect(ServiceState state)
    {
        if (SelectorKey(state.Record) is { } key && _selectors.TryGetValue(key, out var selecting) && selecting.Remove(state) && selecting.Count == 0)
        {
            _selectors.Remove(key);
        }
    }

    /// <summary>Sets the index's entry for <paramref name="ip"/> from its claims; true when it changed.</summary>
    private bool Resolve(string ip)
    {
        PeerInfo? value = null;
        if (_claims.TryGetValue(ip, out var claims))
        {
            if (claims.Nodes > 0)
            {
                // A node's address overrides anything: a host-network pod's IP is the node's.
                value = KubernetesIndex.NodeAddress;
            }
            else if (claims.Pods.Count > 0)
            {
                var best = claims.Pods[0];
                for (var i = 1; i < claims.Pods.Count; i++)
                {
                    if (KubernetesIndexBuilder.Prefer(claims.Pods[i].Record, best.Record))
                    {
                        best = claims.Pods[i];
                    }
                }

                value = best.Peer;
            }
            else if (claims.Services.Count > 0)
            {
                var best = claims.Services[0];
                for (var i = 1; i < claims.Services.Count; i++)
                {
                    if (KubernetesIndexBuilder.PreferService(claims.Services[i].Record, best.Record))
                    {
                        best = claims.Services[i];
                    }
                }

                value = best.Peer;
            }
        }

        if (ReferenceEquals(Index.Get(ip), value))
        {
            return false;
        }

        Index.Set(ip, value);
        return true;
    }

    /// <summary>Marks the pods a service change may rename: those its old or new selector matches and those its slices name.</summary>
    private void TouchSelected(string ns, string name, ServiceRecord? before, ServiceRecord? after)
    {
        if (_all || !_pods.TryGetValue(ns, out var inNamespace))
        {
            return;
        }

        foreach (var state in inNamespace.Values)
        {
            var pod = state.Record;
            if (state.Indexed
                && ((before is not null && KubernetesIndexBuilder.Selects(before, pod))
                    || (after is not null && KubernetesIndexBuilder.Selects(after, pod))
                    || (_sliced.TryGetValue((ns, pod.Name), out var sliced) && sliced.ContainsKey(name))))
            {
                _dirtyPods.Add(state);
            }
        }
    }

    private void Slice(EndpointSliceRecord slice, int delta)
    {
        foreach (var endpoint in slice.Endpoints)
        {
            if (endpoint.PodName is null)
            {
                continue;
            }

            var key = (endpoint.PodNamespace ?? slice.Namespace, endpoint.PodName);
            if (!_sliced.TryGetValue(key, out var services))
            {
                if (delta < 0)
                {
                    continue;
                }

                _sliced[key] = services = new Dictionary<string, int>(StringComparer.Ordinal);
            }

            var count = services.GetValueOrDefault(slice.ServiceName) + delta;
            if (count > 0)
            {
                services[slice.ServiceName] = count;
                if (count == delta)
                {
                    TouchPod(key);
                }
            }
            else if (services.Remove(slice.ServiceName))
            {
                TouchPod(key);
                if (services.Count == 0)
                {
                    _sliced.Remove(key);
                }
            }
        }
    }

    private void TouchPod((string Ns, string Pod) key)
    {
        if (!_all && _pods.TryGetValue(key.Ns, out var inNamespace) && inNamespace.TryGetValue(key.Pod, out var state) && state.Indexed)
        {
            _dirtyPods.Add(state);
        }
    }

    private void Claim(PodState state)
    {
        if (!state.Indexed)
        {
            return;
        }

        foreach (var ip in state.Record.Ips)
        {
            ClaimsOf(ip).Pods.Add(state);
            TouchIp(ip);
        }
    }

    private void Unclaim(PodState state)
    {
        if (!state.Indexed)
        {
            return;
        }

        foreach (var ip in state.Record.Ips)
        {
            if (_claims.TryGetValue(ip, out var claims) && claims.Pods.Remove(state))
            {
                Release(ip, claims);
            }
        }
    }

    private void ClaimService(ServiceState state)
    {
        foreach (var ip in state.Record.ClusterIps)
        {
            ClaimsOf(ip).Services.Add(state);
            TouchIp(ip);
        }
    }

    private void UnclaimService(ServiceState state)
    {
        foreach (var ip in state.Record.ClusterIps)
        {
            if (_claims.TryGetValue(ip, out var claims) && claims.Services.Remove(state))
            {
                Release(ip, claims);
            }
        }
    }

    private void ClaimNode(NodeRecord node, int delta)
    {
        foreach (var ip in node.Addresses)
        {
            var claims = ClaimsOf(ip);
            claims.Nodes += delta;
            Release(ip, claims);
        }
    }

    private IpClaims ClaimsOf(string ip)
    {
        if (!_claims.TryGetValue(ip, out var claims))
        {
            _claims[ip] = claims = new IpClaims();
        }

        return claims;
    }

    /// <summary>After a claim on <paramref name="ip"/> changed: drops claims left empty and marks the IP.</summary>
    private void Release(string ip, IpClaims claims)
    {
        if (claims.Nodes <= 0 && claims.Pods.Count == 0 && claims.Services.Count == 0)
        {
            _claims.Remove(ip);
        }

        TouchIp(ip);
    }

    private void TouchIp(string ip)
    {
        if (!_all)
        {
            _dirtyIps.Add(ip);
        }
    }

    private sealed class PodState(PodRecord record)
    {
        public PodRecord Record { get; } = record;

        /// <summary>Whether the pod's IPs are its own and it is live.</summary>
        public bool Indexed { get; } = KubernetesIndexBuilder.Indexed(record);

        public PeerInfo? Peer { get; set; }
    }

    private sealed class ServiceState(ServiceRecord record, PeerInfo peer)
    {
        public ServiceRecord Record { get; } = record;

        /// <summary>What its cluster IPs map to.</summary>
        public PeerInfo Peer { get; } = peer;
    }

    private sealed class IpClaims
    {
        public List<PodState> Pods { get; } = [];

        public List<ServiceState> Services { get; } = [];

        public int Nodes { get; set; }
    }
}
