using AlsAnalyzer.Core.Model;
using Envoy.Config.Core.V3;

namespace AlsAnalyzer.Core.Identity;

/// <summary>
/// Builds the reporter identity from <c>node.id</c>
/// (<c>sidecar~10.0.0.1~reviews-v1-abc.default~default.svc.cluster.local</c>) and Istio's
/// upper-case <c>node.metadata</c> keys.
/// </summary>
internal static class StreamIdentityParser
{
    public static StreamIdentity Parse(Node? node, string logName)
    {
        var id = node?.Id ?? string.Empty;
        var metadata = node?.Metadata;

        var role = ProxyRole.Proxy;
        string idIp = string.Empty, idPod = string.Empty, idNamespace = string.Empty;
        var parts = id.Split('~');
        if (parts.Length == 4)
        {
            role = parts[0] switch
            {
                "sidecar" => ProxyRole.Sidecar,
                "router" => ProxyRole.Router,
                "waypoint" => ProxyRole.Waypoint,
                _ => ProxyRole.Proxy,
            };
            idIp = parts[1];
            var dot = parts[2].LastIndexOf('.');
            if (dot > 0)
            {
                idPod = parts[2][..dot];
                idNamespace = parts[2][(dot + 1)..];
            }
            else
            {
                idPod = parts[2];
            }
        }

        var labels = metadata.GetStruct("LABELS");
        var pod = CanonicalName.FirstOf(metadata.GetString("NAME"), idPod);
        var ns = CanonicalName.FirstOf(metadata.GetString("NAMESPACE"), idNamespace);
        var workload = CanonicalName.FirstOf(
            metadata.GetString("WORKLOAD_NAME"),
            pod.Length > 0 ? CanonicalName.WorkloadFromPod(pod) : string.Empty);
        var labelled = CanonicalName.FirstOf(
            labels.GetString(CanonicalName.CanonicalNameLabel),
            labels.GetString(CanonicalName.AppKubernetesNameLabel),
            labels.GetString("app"));
        var service = CanonicalName.FirstOf(labelled, workload, node?.Cluster ?? string.Empty);
        var version = CanonicalName.FirstOf(
            labels.GetString(CanonicalName.CanonicalRevisionLabel),
            labels.GetString("version"));

        var ips = new List<string>();
        foreach (var ip in metadata.GetString("INSTANCE_IPS").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            ips.Add(ip);
        }

        if (idIp.Length > 0 && !ips.Contains(idIp))
        {
            ips.Add(idIp);
        }

        var nodeRef = service.Length == 0 ? NodeRef.Unknown : NodeRef.Service(ns, service);
        return new StreamIdentity
        {
            Role = role,
            Node = nodeRef,
            NamedByLabels = labelled.Length > 0,
            Instance = pod,
            Workload = workload,
            Version = version,
            Cluster = metadata.GetString("CLUSTER_ID"),
            WorkloadId = new WorkloadId(workload, version, metadata.GetString("CLUSTER_ID")),
            InstanceIps = [.. ips],
            LogName = logName,
        };
    }
}
