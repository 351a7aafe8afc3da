using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Peers;

namespace AlsAnalyzer.Core.Kubernetes;

/// <summary>
/// Builds a <see cref="KubernetesIndex"/> from the current objects. Rules:
/// <list type="bullet">
/// <item>Pods in phase Succeeded or Failed are ignored; their IP may already belong to another pod.</item>
/// <item>Several live pods with one IP: a Running pod wins over others, then the newest (then the
/// first by name and namespace).</item>
/// <item>Host-network pods are not indexed by IP: the IP is their node's, and node IPs map to "unknown".</item>
/// <item>A pod's services are those whose EndpointSlices list it (ready or not: a request can reach a
/// pod that is not ready yet), plus those whose selector matches its labels.</item>
/// <item>A pod selected by several services takes, deterministically, the one named like the pod's
/// canonical-name or app label, else the first by name (ordinal).</item>
/// <item>A service's cluster IPs map to the service, named by its own name (a pod's IP wins over a
/// cluster IP, a node's address over both).</item>
/// </list>
/// The server keeps an index by these rules incrementally, per watch event
/// (<see cref="KubernetesIndexUpdater"/>); this whole build is the reference it is tested
/// against, and what the in-process benchmarks index.
/// </summary>
internal static class KubernetesIndexBuilder
{
    private static bool SameServices(SortedSet<string>? before, SortedSet<string>? now) =>
        before is null ? now is null : now is not null && before.SetEquals(now);

    public static KubernetesIndex Build(
        IReadOnlyCollection<PodRecord> pods,
        IReadOnlyCollection<ServiceRecord> services,
        IReadOnlyCollection<EndpointSliceRecord> slices,
        IReadOnlyCollection<NodeRecord> nodes,
        ServiceNameTemplate template,
        long generation,
        IReadOnlyCollection<ServiceEntryRecord>? serviceEntries = null,
        PeerCache? peers = null)
    {
        var servicesByKey = new Dictionary<(string Ns, string Name), ServiceRecord>();
        var servicesByNamespace = new Dictionary<string, List<ServiceRecord>>(StringComparer.Ordinal);
        foreach (var s in services)
        {
            servicesByKey[(s.Namespace, s.Name)] = s;
            if (!servicesByNamespace.TryGetValue(s.Namespace, out var list))
            {
                servicesByNamespace[s.Namespace] = list = [];
            }

            list.Add(s);
        }

        // Pod -> services, from EndpointSlices (ready or not).
        var slicedServices = new Dictionary<(string Ns, string Pod), SortedSet<string>>();
        foreach (var slice in slices)
        {
            foreach (var endpoint in slice.Endpoints)
            {
                if (endpoint.PodName is null)
                {
                    continue;
                }

                var key = (endpoint.PodNamespace ?? slice.Namespace, endpoint.PodName);
                if (!slicedServices.TryGetValue(key, out var set))
                {
                    slicedServices[key] = set = new SortedSet<string>(StringComparer.Ordinal);
                }

                set.Add(slice.ServiceName);
            }
        }

        var byIp = new Dictionary<string, (PodRecord Pod, PeerInfo Peer)>(StringComparer.OrdinalIgnoreCase);
        foreach (var pod in pods)
        {
            if (!Indexed(pod))
            {
                continue;
            }

            // Choosing the service matches the pod against its namespace's selectors: the cost of a
            // rebuild. A pod record unchanged since the last build, named by the same
            // EndpointSlices' services (and with services unchanged: the caller's check), keeps
            // the peer it had, so churn costs per changed pod.
            slicedServices.TryGetValue((pod.Namespace, pod.Name), out var sliced);
            PeerInfo peer;
            if (peers?.Previous is { } previous && previous.TryGetValue(pod, out var kept) && SameServices(kept.Sliced, sliced))
            {
                peer = kept.Peer;
            }
            else
            {
                servicesByNamespace.TryGetValue(pod.Namespace, out var inNamespace);
                var service = ChooseService(pod, sliced, inNamespace, name => servicesByKey.GetValueOrDefault((pod.Namespace, name)));
                peer = Peer(pod, service, template);
            }

            peers?.Next.Add(pod, (peer, sliced));
            foreach (var ip in pod.Ips)
            {
                if (!byIp.TryGetValue(ip, out var existing) || Prefer(pod, existing.Pod))
                {
                    byIp[ip] = (pod, peer);
                }
            }
        }

        var result = new Dictionary<string, PeerInfo>(byIp.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (ip, entry) in byIp)
        {
            result[ip] = entry.Peer;
        }

        // A cluster IP claimed by several services (never in a working cluster) goes to the first by namespace/name.
        var serviceIps = new Dictionary<string, ServiceRecord>(StringComparer.OrdinalIgnoreCase);
        foreach (var s in services)
        {
            foreach (var ip in s.ClusterIps)
            {
                if (!serviceIps.TryGetValue(ip, out var other) || PreferService(s, other))
                {
                    serviceIps[ip] = s;
                }
            }
        }

        foreach (var (ip, s) in serviceIps)
        {
            result.TryAdd(ip, ServicePeer(s));
        }

        // Node addresses last: they override anything, since a host-network pod's IP is the node's.
        foreach (var node in nodes)
        {
            foreach (var ip in node.Addresses)
            {
                result[ip] = KubernetesIndex.NodeAddress;
            }
        }

        return new KubernetesIndex(
            result,
            new KubernetesCounts(pods.Count, services.Count, slices.Count, nodes.Count, serviceEntries?.Count ?? 0),
            generation)
        {
            ServiceEntries = serviceEntries is { Count: > 0 } entries ? new ServiceEntryIndex(entries) : ServiceEntryIndex.Empty,
        };
    }

    /// <summary>Of live pods sharing an IP, true when <paramref name="candidate"/> takes it from <paramref name="existing"/>: Running first, then the newest, then the first by name and namespace.</summary>
    internal static bool Prefer(PodRecord candidate, PodRecord existing)
    {
        var candidateRunning = candidate.Phase == "Running";
        var existingRunning = existing.Phase == "Running";
        if (candidateRunning != existingRunning)
        {
            return candidateRunning;
        }

        if (candidate.Created != existing.Created)
        {
            return candidate.Created > existing.Created;
        }

        var byName = string.CompareOrdinal(candidate.Name, existing.Name);
        return byName < 0 || (byName == 0 && string.CompareOrdinal(candidate.Namespace, existing.Namespace) < 0);
    }

    /// <summary>Of services sharing a cluster IP, true when <paramref name="candidate"/> takes it: the first by namespace, then name.</summary>
    internal static bool PreferService(ServiceRecord candidate, ServiceRecord existing)
    {
        var byNamespace = string.CompareOrdinal(candidate.Namespace, existing.Namespace);
        return byNamespace < 0 || (byNamespace == 0 && string.CompareOrdinal(candidate.Name, existing.Name) < 0);
    }

    /// <summary>The peer a service's cluster IP maps to.</summary>
    internal static PeerInfo ServicePeer(ServiceRecord service) => new() { Namespace = service.Namespace, Service = service.Name };

    /// <summary>
    /// The service a pod is named by: of the services its EndpointSlices name
    /// (<paramref name="sliced"/>) and those of its namespace whose selector matches it, the one
    /// named like its canonical-name or app label, else the first by name; null when none.
    /// </summary>
    internal static ServiceRecord? ChooseService(
        PodRecord pod,
        IEnumerable<string>? sliced,
        IEnumerable<ServiceRecord>? inNamespace,
        Func<string, ServiceRecord?> byName)
    {
        var candidates = new SortedSet<string>(StringComparer.Ordinal);
        if (sliced is not null)
        {
            candidates.UnionWith(sliced);
        }

        foreach (var s in inNamespace ?? [])
        {
            if (Selects(s, pod))
            {
                candidates.Add(s.Name);
            }
        }

        if (candidates.Count == 0)
        {
            return null;
        }

        pod.Labels.TryGetValue(CanonicalName.CanonicalNameLabel, out var canonical);
        pod.Labels.TryGetValue("app", out var app);
        var chosen = candidates.FirstOrDefault(n => n == canonical) ?? candidates.FirstOrDefault(n => n == app) ?? candidates.Min!;
        return byName(chosen);
    }

    /// <summary>True when the service's (non-empty) selector matches the pod's labels.</summary>
    internal static bool Selects(ServiceRecord service, PodRecord pod) =>
        service.Selector.Count > 0 && service.Selector.All(kv => pod.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <summary>True when the pod's IPs are indexed: a live pod with its own IPs.</summary>
    internal static bool Indexed(PodRecord pod) => !pod.IsTerminated && !pod.HostNetwork && pod.Ips.Count > 0;

    internal static PeerInfo Peer(PodRecord pod, ServiceRecord? service, ServiceNameTemplate template)
    {
        pod.Labels.TryGetValue(CanonicalName.CanonicalRevisionLabel, out var revision);
        pod.Labels.TryGetValue("version", out var version);
        var gateway = pod.Labels.Any(kv => PeerInfo.IsGatewayLabel(kv.Key, kv.Value));
        var name = template.Evaluate(pod, service);
        return new PeerInfo
        {
            Namespace = pod.Namespace,
            Service = name.Length > 0 ? name : CanonicalName.FirstOf(pod.Workload, pod.Name),
            Workload = CanonicalName.FirstOf(pod.Workload, pod.Name),
            Instance = pod.Name,
            Version = CanonicalName.FirstOf(revision ?? string.Empty, version ?? string.Empty),
            IsGateway = gateway,
        };
    }
}
