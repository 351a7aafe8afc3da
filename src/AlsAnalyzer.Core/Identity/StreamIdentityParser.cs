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
    /// <param name="intern">Gives the shared instance of a name (the pipeline's strings), so that a workload's pods share their reporter's names; null keeps them as parsed.</param>
    public static StreamIdentity Parse(Node? node, string logName, Func<string, string>? intern = null)
    {
        intern ??= static name => name;
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
        var ns = intern(CanonicalName.FirstOf(metadata.GetString("NAMESPACE"), idNamespace));
        var workload = intern(CanonicalName.FirstOf(
            metadata.GetString("WORKLOAD_NAME"),
            pod.Length > 0 ? CanonicalName.WorkloadFromPod(pod) : string.Empty));
        var labelled = CanonicalName.FirstOf(
            labels.GetString(CanonicalName.CanonicalNameLabel),
            labels.GetString(CanonicalName.AppKubernetesNameLabel),
            labels.GetString("app"));
        var service = intern(CanonicalName.FirstOf(labelled, workload, node?.Cluster ?? string.Empty));
        var version = intern(CanonicalName.FirstOf(
            labels.GetString(CanonicalName.CanonicalRevisionLabel),
            labels.GetString("version")));
        var cluster = intern(metadata.GetString("CLUSTER_ID"));

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
            Cluster = cluster,
            WorkloadId = WorkloadId.Shared(workload, version, cluster),
            InstanceIps = [.. ips],
            LogName = logName,
        };
    }
}
