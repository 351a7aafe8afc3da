using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using k8s.Models;

namespace AlsAnalyzer.Server.Kubernetes;

/// <summary>
/// JSON options that read the client's own models (<see cref="V1Pod"/>, ...) with only the
/// fields <see cref="KubeMapper"/> reads: every other property of the listed types (a pod's
/// containers, volumes, conditions, managedFields; a node's images) is skipped by the reader
/// instead of built into objects. Types not listed keep all their properties.
/// </summary>
internal static class KubeFields
{
    // JSON property names kept, per model type; each is read by KubeMapper (or the watch itself).
    private static readonly Dictionary<Type, HashSet<string>> Kept = new()
    {
        [typeof(V1ObjectMeta)] = ["name", "namespace", "labels", "annotations", "ownerReferences", "creationTimestamp", "resourceVersion"],
        [typeof(V1Pod)] = ["apiVersion", "kind", "metadata", "spec", "status"],
        [typeof(V1PodSpec)] = ["nodeName", "hostNetwork", "serviceAccountName"],
        [typeof(V1PodStatus)] = ["phase", "podIP", "podIPs"],
        [typeof(V1Service)] = ["apiVersion", "kind", "metadata", "spec"],
        [typeof(V1ServiceSpec)] = ["selector", "clusterIP", "clusterIPs"],
        [typeof(V1EndpointSlice)] = ["apiVersion", "kind", "metadata", "endpoints"],
        [typeof(V1Endpoint)] = ["addresses", "conditions", "targetRef"],
        [typeof(V1EndpointConditions)] = ["ready"],
        [typeof(V1ObjectReference)] = ["kind", "name", "namespace"],
        [typeof(V1Node)] = ["apiVersion", "kind", "metadata", "status"],
        [typeof(V1NodeStatus)] = ["addresses"],
    };

    /// <summary>The options: the client's models, by their own JSON names, trimmed as above.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.General)
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { Trim } },
    };

    private static void Trim(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object || !Kept.TryGetValue(info.Type, out var keep))
        {
            return;
        }

        for (var i = info.Properties.Count - 1; i >= 0; i--)
        {
            if (!keep.Contains(info.Properties[i].Name))
            {
                info.Properties.RemoveAt(i);
            }
        }
    }
}
