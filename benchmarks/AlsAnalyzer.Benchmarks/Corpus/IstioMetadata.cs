using Envoy.Config.Core.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace AlsAnalyzer.Benchmarks.Corpus;

/// <summary>
/// Istio's descriptions of a workload: the node identity a sidecar sends on a stream's first
/// message (upper-case metadata keys), and the peer metadata Istio &gt;= 1.24 logs in filter
/// state (a <c>google.protobuf.Struct</c> with lower-case keys).
/// </summary>
internal static class IstioMetadata
{
    public const string StructTypeUrl = "type.googleapis.com/google.protobuf.Struct";
    public const string TrustDomain = "cluster.local";

    public static string SpiffeId(MeshPod pod) => $"spiffe://{TrustDomain}/ns/{pod.Namespace}/sa/{pod.Service.ServiceAccount}";

    /// <summary><c>sidecar~10.244.0.2~svc0-v1-hash-abcde.ns0~ns0.svc.cluster.local</c>, with Istio's node metadata.</summary>
    public static Node SidecarNode(MeshPod pod)
    {
        var metadata = new Struct();
        metadata.Fields["NAME"] = Value.ForString(pod.Name);
        metadata.Fields["NAMESPACE"] = Value.ForString(pod.Namespace);
        metadata.Fields["WORKLOAD_NAME"] = Value.ForString(pod.Workload);
        metadata.Fields["OWNER"] = Value.ForString($"kubernetes://apis/apps/v1/namespaces/{pod.Namespace}/deployments/{pod.Workload}");
        metadata.Fields["INSTANCE_IPS"] = Value.ForString(pod.Ip);
        metadata.Fields["CLUSTER_ID"] = Value.ForString("Kubernetes");
        metadata.Fields["MESH_ID"] = Value.ForString(TrustDomain);
        metadata.Fields["ISTIO_VERSION"] = Value.ForString("1.24.2");
        metadata.Fields["SERVICE_ACCOUNT"] = Value.ForString(pod.Service.ServiceAccount);
        metadata.Fields["APP_CONTAINERS"] = Value.ForString(pod.Service.Name);
        metadata.Fields["NODE_NAME"] = Value.ForString("worker-" + (pod.Service.Index & 15));
        metadata.Fields["INTERCEPTION_MODE"] = Value.ForString("REDIRECT");
        metadata.Fields["POD_PORTS"] = Value.ForString($"[{{\"name\":\"http\",\"containerPort\":{Mesh.Port},\"protocol\":\"TCP\"}}]");
        metadata.Fields["ENVOY_PROMETHEUS_PORT"] = Value.ForNumber(15090);
        metadata.Fields["ENVOY_STATUS_PORT"] = Value.ForNumber(15021);
        metadata.Fields["PILOT_SAN"] = Value.ForList(Value.ForString("istiod.istio-system.svc"));
        metadata.Fields["LABELS"] = Value.ForStruct(Labels(pod));
        var annotations = new Struct();
        annotations.Fields["kubectl.kubernetes.io/default-container"] = Value.ForString(pod.Service.Name);
        annotations.Fields["istio.io/rev"] = Value.ForString("default");
        annotations.Fields["prometheus.io/scrape"] = Value.ForString("true");
        annotations.Fields["prometheus.io/port"] = Value.ForString("15020");
        metadata.Fields["ANNOTATIONS"] = Value.ForStruct(annotations);
        var proxyConfig = new Struct();
        proxyConfig.Fields["binaryPath"] = Value.ForString("/usr/local/bin/envoy");
        proxyConfig.Fields["configPath"] = Value.ForString("./etc/istio/proxy");
        proxyConfig.Fields["discoveryAddress"] = Value.ForString("istiod.istio-system.svc:15012");
        proxyConfig.Fields["drainDuration"] = Value.ForString("45s");
        proxyConfig.Fields["proxyAdminPort"] = Value.ForNumber(15000);
        proxyConfig.Fields["serviceCluster"] = Value.ForString("istio-proxy");
        proxyConfig.Fields["statNameLength"] = Value.ForNumber(189);
        proxyConfig.Fields["statusPort"] = Value.ForNumber(15020);
        proxyConfig.Fields["terminationDrainDuration"] = Value.ForString("5s");
        metadata.Fields["PROXY_CONFIG"] = Value.ForStruct(proxyConfig);
        return new Node
        {
            Id = $"sidecar~{pod.Ip}~{pod.Name}.{pod.Namespace}~{pod.Namespace}.svc.cluster.local",
            Cluster = $"{pod.Service.Name}.{pod.Namespace}",
            Metadata = metadata,
        };
    }

    /// <summary>The peer Struct of Istio &gt;= 1.24 (<c>upstream_peer</c>/<c>downstream_peer</c>), packed in an Any.</summary>
    public static Any PeerAny(MeshPod pod)
    {
        var s = new Struct();
        s.Fields["type"] = Value.ForString("deployment");
        s.Fields["workload"] = Value.ForString(pod.Workload);
        s.Fields["name"] = Value.ForString(pod.Name);
        s.Fields["cluster"] = Value.ForString("Kubernetes");
        s.Fields["namespace"] = Value.ForString(pod.Namespace);
        s.Fields["service"] = Value.ForString(pod.Service.Name);
        s.Fields["revision"] = Value.ForString(pod.Version);
        s.Fields["app"] = Value.ForString(pod.Service.Name);
        s.Fields["version"] = Value.ForString(pod.Version);
        s.Fields["identity"] = Value.ForString(SpiffeId(pod));
        s.Fields["labels"] = Value.ForStruct(Labels(pod));
        return new Any { TypeUrl = StructTypeUrl, Value = s.ToByteString() };
    }

    private static Struct Labels(MeshPod pod)
    {
        var labels = new Struct();
        foreach (var (k, v) in pod.Labels())
        {
            labels.Fields[k] = Value.ForString(v);
        }

        return labels;
    }
}
