using Envoy.Config.Core.V3;
using Envoy.Service.Accesslog.V3;
using Google.Protobuf.WellKnownTypes;

namespace AlsAnalyzer.Testing;

/// <summary>Envoy node identities as Istio's proxies send them on a stream's first message.</summary>
public static class Nodes
{
    public static Node Sidecar(Workload w) => Build("sidecar", w);

    public static Node Router(Workload w) => Build("router", w);

    public static Node Waypoint(Workload w) => Build("waypoint", w);

    public static StreamAccessLogsMessage.Types.Identifier Identifier(Node node, string logName = "als") =>
        new() { Node = node, LogName = logName };

    private static Node Build(string role, Workload w)
    {
        var labels = new Struct();
        foreach (var (k, v) in w.Labels())
        {
            labels.Fields[k] = Value.ForString(v);
        }

        var metadata = new Struct();
        metadata.Fields["NAME"] = Value.ForString(w.Pod);
        metadata.Fields["NAMESPACE"] = Value.ForString(w.Namespace);
        metadata.Fields["WORKLOAD_NAME"] = Value.ForString(w.WorkloadName);
        metadata.Fields["OWNER"] = Value.ForString($"kubernetes://apis/apps/v1/namespaces/{w.Namespace}/deployments/{w.WorkloadName}");
        metadata.Fields["INSTANCE_IPS"] = Value.ForString(w.Ip + ",fe80::1");
        metadata.Fields["CLUSTER_ID"] = Value.ForString("Kubernetes");
        metadata.Fields["MESH_ID"] = Value.ForString("cluster.local");
        metadata.Fields["ISTIO_VERSION"] = Value.ForString("1.24.2");
        metadata.Fields["LABELS"] = Value.ForStruct(labels);
        return new Node
        {
            Id = $"{role}~{w.Ip}~{w.Pod}.{w.Namespace}~{w.Namespace}.svc.cluster.local",
            Cluster = $"{w.App}.{w.Namespace}",
            Metadata = metadata,
        };
    }
}
