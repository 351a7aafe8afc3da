using System.Text;
using System.Text.Json;
using AlsAnalyzer.Server.Kubernetes;
using AlsAnalyzer.Testing.FakeKube;
using k8s;
using k8s.Models;

namespace AlsAnalyzer.Server.Tests.Kubernetes;

/// <summary>
/// The trimmed watch read: each kind's objects, as the API server writes them (the client's
/// own serialization of the fake's realistic objects), map to the same records through the
/// trimmed model as through the full one; the fields the index does not read are not built;
/// the protocol's other lines (ERROR, BOOKMARK, garbage) are handled as the client does.
/// </summary>
public sealed class KubeWatchStreamTests
{
    private const string NodeIp = "192.168.0.10";

    public static TheoryData<string> PodKinds => ["deployment", "statefulset", "daemonset", "hostnetwork", "job", "succeeded"];

    [Theory]
    [MemberData(nameof(PodKinds))]
    public void Pod_ReadTrimmed_MapsToTheSameRecordAsTheFullModel(string kind)
    {
        var pod = kind switch
        {
            "deployment" => KubeObjects.DeploymentPod("shop", "reviews", "10.244.1.5", "node-1", NodeIp, version: "v2"),
            "statefulset" => KubeObjects.StatefulSetPod("data", "mysql", 1, "10.244.1.6", "node-1", NodeIp),
            "daemonset" => KubeObjects.DaemonSetPod("kube-system", "fluentd", "10.244.1.7", "node-1", NodeIp),
            "hostnetwork" => KubeObjects.HostNetworkPod("kube-system", "node-exporter", "node-1", NodeIp),
            "job" => KubeObjects.JobPod("batch", "backup-1", "10.244.1.8", "node-1", NodeIp),
            _ => KubeObjects.SucceededPod("batch", "migrate", "10.244.1.9", "node-1", NodeIp),
        };
        pod.Metadata.Annotations ??= new Dictionary<string, string>();
        pod.Metadata.Annotations["sidecar.istio.io/status"] = "{\"containers\":[\"istio-proxy\"]}";

        var (type, trimmed) = ReadOne<V1Pod>("MODIFIED", pod);

        Assert.Equal(WatchEventType.Modified, type);
        Assert.Equal(Json(KubeMapper.Pod(pod)), Json(KubeMapper.Pod(trimmed)));
        Assert.Equal(pod.Metadata.ResourceVersion, trimmed.Metadata.ResourceVersion);

        // What the index does not read is skipped, not built.
        Assert.NotEmpty(pod.Spec.Containers);
        Assert.Null(trimmed.Spec.Containers);
        Assert.Null(trimmed.Status.Conditions);
        Assert.Null(trimmed.Status.ContainerStatuses);
    }

    [Fact]
    public void ServiceSliceAndNode_ReadTrimmed_MapToTheSameRecordsAsTheFullModel()
    {
        var pods = new[]
        {
            KubeObjects.DeploymentPod("shop", "cart", "10.244.2.1", "node-1", NodeIp, replica: 0),
            KubeObjects.DeploymentPod("shop", "cart", "10.244.2.2", "node-1", NodeIp, replica: 1),
        };
        var service = KubeObjects.Service("shop", "cart", "10.96.0.20", KubeObjects.ServicePort("http", 9080));
        var slice = KubeObjects.EndpointSlice(service, [KubeObjects.Endpoint(pods[0]), KubeObjects.Endpoint(pods[1], ready: false)]);
        var node = KubeObjects.Node("node-1", NodeIp);

        Assert.Equal(Json(KubeMapper.Service(service)), Json(KubeMapper.Service(ReadOne<V1Service>("ADDED", service).Item)));
        Assert.Equal(Json(KubeMapper.EndpointSlice(slice)), Json(KubeMapper.EndpointSlice(ReadOne<V1EndpointSlice>("ADDED", slice).Item)));
        var trimmedNode = ReadOne<V1Node>("ADDED", node).Item;
        Assert.Equal(Json(KubeMapper.Node(node)), Json(KubeMapper.Node(trimmedNode)));
        Assert.Null(trimmedNode.Status.Conditions);
    }

    [Fact]
    public void ErrorEvent_GoesToTheErrorCallbackAsTheStatus()
    {
        var errors = new List<Exception>();
        var line = """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (2)","reason":"Expired","code":410}}""";

        var parsed = KubeWatchStream.Parse<V1Pod>(Encoding.UTF8.GetBytes(line), errors.Add);

        Assert.Null(parsed);
        var status = Assert.IsType<KubernetesException>(Assert.Single(errors)).Status;
        Assert.Equal((410, "Expired"), (status.Code, status.Reason));
    }

    [Fact]
    public void Bookmark_CarriesTheResourceVersion()
    {
        var line = """{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"12345","annotations":{"k8s.io/initial-events-end":"true"}}}}""";

        var parsed = KubeWatchStream.Parse<V1Pod>(Encoding.UTF8.GetBytes(line), e => Assert.Fail(e.Message));

        Assert.Equal(WatchEventType.Bookmark, parsed!.Value.Type);
        Assert.Equal("12345", parsed.Value.Item.Metadata.ResourceVersion);
    }

    [Theory]
    [InlineData("""{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","namespace":"b","labels":"not a map"}}}""")]
    [InlineData("""{"type":"RENAMED","object":{"kind":"Pod","metadata":{"name":"a","namespace":"b"}}}""")]
    [InlineData("""{"type":"ADDED"}""")]
    public void EventThatDoesNotRead_IsSkippedAndReported(string line)
    {
        var errors = new List<Exception>();

        Assert.Null(KubeWatchStream.Parse<V1Pod>(Encoding.UTF8.GetBytes(line), errors.Add));
        Assert.IsAssignableFrom<JsonException>(Assert.Single(errors));
    }

    [Theory]
    [InlineData("this is not json {")]
    [InlineData("[1,2]")]
    [InlineData("""{"object":{}}""")]
    public void LineThatIsNotAnEvent_EndsTheStream(string line) =>
        Assert.ThrowsAny<JsonException>(() => KubeWatchStream.Parse<V1Pod>(Encoding.UTF8.GetBytes(line), e => Assert.Fail(e.Message)));

    [Fact]
    public void BlankLine_IsNothing() =>
        Assert.Null(KubeWatchStream.Parse<V1Pod>("  "u8, e => Assert.Fail(e.Message)));

    /// <summary>One watch line as the API server writes it (type first), read back trimmed.</summary>
    private static (WatchEventType Type, T Item) ReadOne<T>(string type, T item)
        where T : class
    {
        var line = $$"""{"type":"{{type}}","object":{{KubernetesJson.Serialize(item)}}}""";
        var parsed = KubeWatchStream.Parse<T>(Encoding.UTF8.GetBytes(line), e => Assert.Fail(e.Message));
        Assert.NotNull(parsed);
        return parsed.Value;
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);
}
