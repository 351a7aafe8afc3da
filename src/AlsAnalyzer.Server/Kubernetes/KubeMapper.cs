using AlsAnalyzer.Core.Kubernetes;
using k8s.Models;

namespace AlsAnalyzer.Server.Kubernetes;

/// <summary>
/// Maps API objects to the records the index reads. Returns null for an object that lacks
/// what identifies it (no name or namespace): the watch counts it as malformed and keeps its
/// last good state.
/// </summary>
internal static class KubeMapper
{
    private static readonly Dictionary<string, string> NoLabels = [];

    public static PodRecord? Pod(V1Pod pod)
    {
        var meta = pod.Metadata;
        if (meta?.Name is not { Length: > 0 } name || meta.NamespaceProperty is not { Length: > 0 } ns)
        {
            return null;
        }

        var ips = new List<string>();
        foreach (var ip in pod.Status?.PodIPs ?? [])
        {
            if (!string.IsNullOrEmpty(ip.Ip) && !ips.Contains(ip.Ip))
            {
                ips.Add(ip.Ip);
            }
        }

        if (ips.Count == 0 && !string.IsNullOrEmpty(pod.Status?.PodIP))
        {
            ips.Add(pod.Status.PodIP);
        }

        var labels = meta.Labels is null ? NoLabels : new Dictionary<string, string>(meta.Labels);
        var (kind, workload) = Owner(meta, labels);
        return new PodRecord
        {
            Name = name,
            Namespace = ns,
            Ips = ips,
            Phase = pod.Status?.Phase ?? string.Empty,
            HostNetwork = pod.Spec?.HostNetwork ?? false,
            NodeName = pod.Spec?.NodeName ?? string.Empty,
            ServiceAccount = pod.Spec?.ServiceAccountName ?? string.Empty,
            Labels = labels,
            Annotations = meta.Annotations is null ? NoLabels : new Dictionary<string, string>(meta.Annotations),
            WorkloadKind = kind,
            Workload = workload,
            Created = meta.CreationTimestamp is { } created ? new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) : default,
        };
    }

    public static ServiceRecord? Service(V1Service service)
    {
        var meta = service.Metadata;
        if (meta?.Name is not { Length: > 0 } name || meta.NamespaceProperty is not { Length: > 0 } ns)
        {
            return null;
        }

        var ips = new List<string>();
        foreach (var ip in service.Spec?.ClusterIPs ?? (service.Spec?.ClusterIP is { } single ? [single] : []))
        {
            if (!string.IsNullOrEmpty(ip) && ip != "None" && !ips.Contains(ip))
            {
                ips.Add(ip);
            }
        }

        return new ServiceRecord
        {
            Name = name,
            Namespace = ns,
            Selector = service.Spec?.Selector is { } selector ? new Dictionary<string, string>(selector) : NoLabels,
            ClusterIps = ips,
            Labels = meta.Labels is null ? NoLabels : new Dictionary<string, string>(meta.Labels),
            Annotations = meta.Annotations is null ? NoLabels : new Dictionary<string, string>(meta.Annotations),
        };
    }

    public static EndpointSliceRecord? EndpointSlice(V1EndpointSlice slice)
    {
        var meta = slice.Metadata;
        if (meta?.Name is not { Length: > 0 } name || meta.NamespaceProperty is not { Length: > 0 } ns
            || meta.Labels is null || !meta.Labels.TryGetValue("kubernetes.io/service-name", out var serviceName))
        {
            return null;
        }

        var endpoints = new List<SliceEndpoint>();
        foreach (var e in slice.Endpoints ?? [])
        {
            var pod = e.TargetRef is { Kind: "Pod" } target ? target : null;

            // Ready unset means ready (the API's rule); not-ready endpoints are kept anyway.
            endpoints.Add(new SliceEndpoint(e.Addresses?.ToList() ?? [], e.Conditions?.Ready ?? true, pod?.Name, pod?.NamespaceProperty));
        }

        return new EndpointSliceRecord { Name = name, Namespace = ns, ServiceName = serviceName, Endpoints = endpoints };
    }

    public static NodeRecord? Node(V1Node node)
    {
        if (node.Metadata?.Name is not { Length: > 0 } name)
        {
            return null;
        }

        var addresses = new List<string>();
        foreach (var a in node.Status?.Addresses ?? [])
        {
            if (a.Type is "InternalIP" or "ExternalIP" && !string.IsNullOrEmpty(a.Address))
            {
                addresses.Add(a.Address);
            }
        }

        return new NodeRecord { Name = name, Addresses = addresses };
    }

    /// <summary>
    /// The workload a person would name: a ReplicaSet's Deployment (the ReplicaSet name less the
    /// pod's <c>pod-template-hash</c>, which is how the Deployment controller names it), else
    /// the controlling owner, else the pod itself.
    /// </summary>
    private static (string Kind, string Name) Owner(V1ObjectMeta meta, Dictionary<string, string> labels)
    {
        var owner = meta.OwnerReferences?.FirstOrDefault(o => o.Controller == true) ?? meta.OwnerReferences?.FirstOrDefault();
        if (owner is null)
        {
            return ("Pod", meta.Name);
        }

        if (owner.Kind == "ReplicaSet" && labels.TryGetValue("pod-template-hash", out var hash) && owner.Name.EndsWith("-" + hash, StringComparison.Ordinal))
        {
            return ("Deployment", owner.Name[..^(hash.Length + 1)]);
        }

        return (owner.Kind, owner.Name);
    }

    public static ServiceEntryRecord? ServiceEntry(IstioServiceEntry entry)
    {
        var meta = entry.Metadata;
        if (meta?.Name is not { Length: > 0 } name || meta.NamespaceProperty is not { Length: > 0 } ns)
        {
            return null;
        }

        var spec = entry.Spec;
        var addresses = new List<string>();
        foreach (var address in spec?.Addresses ?? [])
        {
            if (!string.IsNullOrEmpty(address))
            {
                addresses.Add(address);
            }
        }

        // Endpoints of a STATIC entry are the addresses the proxy connects to; DNS endpoints are
        // names, which the index skips.
        foreach (var endpoint in spec?.Endpoints ?? [])
        {
            if (!string.IsNullOrEmpty(endpoint.Address) && !endpoint.Address.StartsWith("unix://", StringComparison.Ordinal))
            {
                addresses.Add(endpoint.Address);
            }
        }

        return new ServiceEntryRecord
        {
            Name = name,
            Namespace = ns,
            Hosts = [.. (spec?.Hosts ?? []).Where(h => !string.IsNullOrEmpty(h))],
            Addresses = addresses,
        };
    }
}
