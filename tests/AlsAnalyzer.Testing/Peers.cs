using Google.FlatBuffers;
using Struct = Google.Protobuf.WellKnownTypes.Struct;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace AlsAnalyzer.Testing;

/// <summary>A workload as Istio describes it, and its peer metadata in both encodings Istio has shipped.</summary>
public sealed record Workload(string Namespace, string App, string Version, string Pod, string Ip)
{
    public string WorkloadName => App + "-" + Version;

    /// <summary>Extra labels, e.g. <c>istio=ingressgateway</c>.</summary>
    public IReadOnlyDictionary<string, string> ExtraLabels { get; init; } = new Dictionary<string, string>();

    public Dictionary<string, string> Labels()
    {
        var labels = new Dictionary<string, string>
        {
            ["app"] = App,
            ["version"] = Version,
            ["service.istio.io/canonical-name"] = App,
            ["service.istio.io/canonical-revision"] = Version,
            ["pod-template-hash"] = "7f99cc4496",
        };
        foreach (var (k, v) in ExtraLabels)
        {
            labels[k] = v;
        }

        return labels;
    }
}

public static class Peers
{
    public const string StructType = "type.googleapis.com/google.protobuf.Struct";
    public const string BytesValueType = "type.googleapis.com/google.protobuf.BytesValue";

    /// <summary>Istio &gt;= 1.24: a Struct with lower-case keys.</summary>
    public static Any AsStruct(Workload w, bool withLabels = true)
    {
        var s = new Struct();
        s.Fields["type"] = Value.ForString("deployment");
        s.Fields["workload"] = Value.ForString(w.WorkloadName);
        s.Fields["name"] = Value.ForString(w.Pod);
        s.Fields["cluster"] = Value.ForString("Kubernetes");
        s.Fields["namespace"] = Value.ForString(w.Namespace);
        s.Fields["service"] = Value.ForString(w.App);
        s.Fields["revision"] = Value.ForString(w.Version);
        s.Fields["app"] = Value.ForString(w.App);
        s.Fields["version"] = Value.ForString(w.Version);
        s.Fields["identity"] = Value.ForString($"spiffe://cluster.local/ns/{w.Namespace}/sa/{w.App}");
        if (withLabels)
        {
            var labels = new Struct();
            foreach (var (k, v) in w.Labels())
            {
                labels.Fields[k] = Value.ForString(v);
            }

            s.Fields["labels"] = Value.ForStruct(labels);
        }

        return new Any { TypeUrl = StructType, Value = s.ToByteString() };
    }

    /// <summary>Istio &lt;= 1.23: a BytesValue holding a FlatBuffers FlatNode.</summary>
    public static Any AsFlatNode(Workload w) =>
        new() { TypeUrl = BytesValueType, Value = new BytesValue { Value = ByteString.CopyFrom(FlatNodeBytes(w)) }.ToByteString() };

    /// <summary>
    /// A FlatNode built with the FlatBuffers builder. Slots in schema order: name, namespace,
    /// labels, owner, workload_name, platform_metadata, istio_version, mesh_id,
    /// app_containers, cluster_id, instance_ips, identity.
    /// </summary>
    public static byte[] FlatNodeBytes(Workload w)
    {
        var b = new FlatBufferBuilder(512);
        var labelsVector = FlatNodeLabels(b, [.. w.Labels().OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value))]);
        var name = b.CreateString(w.Pod);
        var ns = b.CreateString(w.Namespace);
        var owner = b.CreateString($"kubernetes://apis/apps/v1/namespaces/{w.Namespace}/deployments/{w.WorkloadName}");
        var workload = b.CreateString(w.WorkloadName);
        var istioVersion = b.CreateString("1.22.3");
        var meshId = b.CreateString("cluster.local");
        var clusterId = b.CreateString("Kubernetes");
        var identity = b.CreateString($"spiffe://cluster.local/ns/{w.Namespace}/sa/{w.App}");
        b.StartTable(12);
        b.AddOffset(0, name.Value, 0);
        b.AddOffset(1, ns.Value, 0);
        b.AddOffset(2, labelsVector.Value, 0);
        b.AddOffset(3, owner.Value, 0);
        b.AddOffset(4, workload.Value, 0);
        b.AddOffset(6, istioVersion.Value, 0);
        b.AddOffset(7, meshId.Value, 0);
        b.AddOffset(9, clusterId.Value, 0);
        b.AddOffset(11, identity.Value, 0);
        var root = b.EndTable();
        b.Finish(root);
        return b.SizedByteArray();
    }

    /// <summary>A FlatNode's <c>labels</c> vector: one <c>KeyVal{key, value}</c> table per label, in the order given.</summary>
    public static VectorOffset FlatNodeLabels(FlatBufferBuilder b, IReadOnlyList<(string Key, string Value)> labels)
    {
        var offsets = new int[labels.Count];
        for (var i = 0; i < labels.Count; i++)
        {
            var k = b.CreateString(labels[i].Key);
            var v = b.CreateString(labels[i].Value);
            b.StartTable(2);
            b.AddOffset(0, k.Value, 0);
            b.AddOffset(1, v.Value, 0);
            offsets[i] = b.EndTable();
        }

        b.StartVector(4, offsets.Length, 4);
        for (var i = offsets.Length - 1; i >= 0; i--)
        {
            b.AddOffset(offsets[i]);
        }

        return b.EndVector();
    }

    /// <summary>
    /// A crafted FlatNode: <paramref name="labels"/> labels whose keys and values all point at
    /// one string of <paramref name="stringBytes"/> bytes (a FlatBuffer may share a string), plus
    /// the workload's own fields. Reading every label's strings costs labels x 2 x stringBytes.
    /// </summary>
    public static byte[] FlatNodeSharingOneString(Workload w, int labels, int stringBytes)
    {
        var b = new FlatBufferBuilder(stringBytes + 1024);
        var shared = b.CreateString(new string('x', stringBytes));
        var offsets = new int[labels];
        for (var i = 0; i < labels; i++)
        {
            b.StartTable(2);
            b.AddOffset(0, shared.Value, 0);
            b.AddOffset(1, shared.Value, 0);
            offsets[i] = b.EndTable();
        }

        b.StartVector(4, offsets.Length, 4);
        for (var i = offsets.Length - 1; i >= 0; i--)
        {
            b.AddOffset(offsets[i]);
        }

        var labelsVector = b.EndVector();
        var name = b.CreateString(w.Pod);
        var ns = b.CreateString(w.Namespace);
        var workload = b.CreateString(w.WorkloadName);
        b.StartTable(12);
        b.AddOffset(0, name.Value, 0);
        b.AddOffset(1, ns.Value, 0);
        b.AddOffset(2, labelsVector.Value, 0);
        b.AddOffset(4, workload.Value, 0);
        var root = b.EndTable();
        b.Finish(root);
        return b.SizedByteArray();
    }

    /// <summary>The crafted FlatNode as filter state would carry it.</summary>
    public static Any AsFlatNode(byte[] flatNode) =>
        new() { TypeUrl = BytesValueType, Value = new BytesValue { Value = ByteString.CopyFrom(flatNode) }.ToByteString() };
}
