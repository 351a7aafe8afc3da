using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Tests.Support;
using AlsAnalyzer.Testing;
using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;

namespace AlsAnalyzer.Core.Tests.Identity;

public sealed class StreamIdentityParserTests
{
    [Fact]
    public void Parse_SidecarNode_IsSidecarNamedByCanonicalService()
    {
        // Arrange
        var node = Nodes.Sidecar(TestMesh.ReviewsV1);

        // Act
        var identity = StreamIdentityParser.Parse(node, "http_envoy_accesslog");

        // Assert
        Assert.Equal(ProxyRole.Sidecar, identity.Role);
        Assert.False(identity.ReportsBothSides);
        Assert.Equal(NodeRef.Service("default", "reviews"), identity.Node);
        Assert.Equal("reviews-v1-7f99cc4496-abcde", identity.Instance);
        Assert.Equal("reviews-v1", identity.Workload);
        Assert.Equal("v1", identity.Version);
        Assert.Equal("Kubernetes", identity.Cluster);
        Assert.Equal("http_envoy_accesslog", identity.LogName);
    }

    [Fact]
    public void Parse_RouterNode_IsRouterReportingBothSides()
    {
        // Arrange
        var node = Nodes.Router(TestMesh.IngressGateway);

        // Act
        var identity = StreamIdentityParser.Parse(node, "als");

        // Assert
        Assert.Equal(ProxyRole.Router, identity.Role);
        Assert.True(identity.ReportsBothSides);
        Assert.Equal(NodeRef.Service("istio-system", "istio-ingressgateway"), identity.Node);
        Assert.Equal(TestMesh.IngressGateway.Pod, identity.Instance);
    }

    [Fact]
    public void Parse_WaypointNode_IsWaypointReportingBothSides()
    {
        // Arrange
        var node = Nodes.Waypoint(TestMesh.Waypoint);

        // Act
        var identity = StreamIdentityParser.Parse(node, "als");

        // Assert
        Assert.Equal(ProxyRole.Waypoint, identity.Role);
        Assert.True(identity.ReportsBothSides);
        Assert.Equal(NodeRef.Service("default", "waypoint"), identity.Node);
    }

    [Fact]
    public void Parse_PlainEnvoyWithoutIstioId_IsProxyNamedByNodeCluster()
    {
        // Arrange
        var node = new Node { Id = "front-envoy-1", Cluster = "front-proxy" };

        // Act
        var identity = StreamIdentityParser.Parse(node, "als");

        // Assert
        Assert.Equal(ProxyRole.Proxy, identity.Role);
        Assert.True(identity.ReportsBothSides);
        Assert.Equal("front-proxy", identity.Node.Name);
        Assert.Equal(NodeKind.Service, identity.Node.Kind);
        Assert.Empty(identity.Instance);
        Assert.Empty(identity.InstanceIps);
    }

    [Fact]
    public void Parse_UnknownPrefixInIstioShapedId_IsProxy()
    {
        // Arrange
        var node = new Node { Id = "ztunnel~10.0.0.9~ztunnel-abcde.istio-system~istio-system.svc.cluster.local" };

        // Act
        var identity = StreamIdentityParser.Parse(node, "als");

        // Assert
        Assert.Equal(ProxyRole.Proxy, identity.Role);
        Assert.Equal("istio-system", identity.Node.Namespace);
        Assert.Equal("ztunnel-abcde", identity.Instance);
    }

    [Theory]
    [InlineData("canonical-name", "from-canonical")]
    [InlineData("app.kubernetes.io/name", "from-k8s-name")]
    [InlineData("app", "from-app")]
    [InlineData("WORKLOAD_NAME", "from-workload")]
    [InlineData("pod", "ratings-v1")]
    [InlineData("cluster", "from-node-cluster")]
    public void Parse_CanonicalNameSources_FirstAvailableInPrecedenceOrderWins(string best, string expected)
    {
        // Arrange: every source ranked below `best` is present too, so a wrong order shows.
        var order = new[] { "canonical-name", "app.kubernetes.io/name", "app", "WORKLOAD_NAME", "pod", "cluster" };
        var present = order.SkipWhile(s => s != best).ToHashSet(StringComparer.Ordinal);
        var labels = new Struct();
        var metadata = new Struct();
        if (present.Contains("canonical-name"))
        {
            labels.Fields[CanonicalName.CanonicalNameLabel] = Value.ForString("from-canonical");
        }

        if (present.Contains("app.kubernetes.io/name"))
        {
            labels.Fields[CanonicalName.AppKubernetesNameLabel] = Value.ForString("from-k8s-name");
        }

        if (present.Contains("app"))
        {
            labels.Fields["app"] = Value.ForString("from-app");
        }

        if (present.Contains("WORKLOAD_NAME"))
        {
            metadata.Fields["WORKLOAD_NAME"] = Value.ForString("from-workload");
        }

        metadata.Fields["LABELS"] = Value.ForStruct(labels);
        var pod = present.Contains("pod") ? "ratings-v1-85c74b6cb4-klmno" : string.Empty;
        var node = new Node
        {
            Id = pod.Length > 0 ? $"sidecar~10.0.0.1~{pod}.default~default.svc.cluster.local" : "not-an-istio-id",
            Cluster = "from-node-cluster",
            Metadata = metadata,
        };

        // Act
        var identity = StreamIdentityParser.Parse(node, "als");

        // Assert
        Assert.Equal(expected, identity.Node.Name);
    }

    [Fact]
    public void Parse_NamespaceInMetadataAndId_MetadataWins()
    {
        // Arrange
        var node = Nodes.Sidecar(TestMesh.ReviewsV1);
        node.Id = "sidecar~10.244.1.20~reviews-v1-7f99cc4496-abcde.from-id~from-id.svc.cluster.local";
        node.Metadata.Fields["NAMESPACE"] = Value.ForString("from-metadata");

        // Act
        var identity = StreamIdentityParser.Parse(node, "als");

        // Assert
        Assert.Equal("from-metadata", identity.Node.Namespace);
    }

    [Fact]
    public void Parse_NoNamespaceInMetadata_NamespaceFromId()
    {
        // Arrange
        var node = Nodes.Sidecar(TestMesh.ReviewsV1);
        node.Id = "sidecar~10.244.1.20~reviews-v1-7f99cc4496-abcde.from-id~from-id.svc.cluster.local";
        node.Metadata.Fields.Remove("NAMESPACE");

        // Act
        var identity = StreamIdentityParser.Parse(node, "als");

        // Assert
        Assert.Equal("from-id", identity.Node.Namespace);
        Assert.Equal("reviews", identity.Node.Name);
    }

    [Fact]
    public void Parse_InstanceIpsAndIdIp_AllKeptInOrderWithoutDuplicates()
    {
        // Arrange
        var node = Nodes.Sidecar(TestMesh.ReviewsV1);
        node.Id = "sidecar~10.0.0.3~reviews-v1-7f99cc4496-abcde.default~default.svc.cluster.local";
        node.Metadata.Fields["INSTANCE_IPS"] = Value.ForString(" 10.0.0.1, fd00::1 ,,10.0.0.3");

        // Act
        var identity = StreamIdentityParser.Parse(node, "als");

        // Assert
        Assert.Equal(["10.0.0.1", "fd00::1", "10.0.0.3"], identity.InstanceIps);
    }

    [Fact]
    public void Parse_IdIpNotInInstanceIps_IdIpAppended()
    {
        // Arrange
        var node = Nodes.Sidecar(TestMesh.ReviewsV1);
        node.Metadata.Fields["INSTANCE_IPS"] = Value.ForString("10.0.0.1");

        // Act
        var identity = StreamIdentityParser.Parse(node, "als");

        // Assert
        Assert.Equal(["10.0.0.1", TestMesh.ReviewsV1.Ip], identity.InstanceIps);
    }

    [Fact]
    public void Parse_LowerCaseMetadataKeys_ReadCaseInsensitively()
    {
        // Arrange
        var labels = new Struct();
        labels.Fields["APP"] = Value.ForString("lower-app");
        labels.Fields["VERSION"] = Value.ForString("v9");
        var metadata = new Struct();
        metadata.Fields["name"] = Value.ForString("pod-from-metadata");
        metadata.Fields["namespace"] = Value.ForString("lower-ns");
        metadata.Fields["workload_name"] = Value.ForString("lower-workload");
        metadata.Fields["cluster_id"] = Value.ForString("c1");
        metadata.Fields["instance_ips"] = Value.ForString("10.1.1.1");
        metadata.Fields["labels"] = Value.ForStruct(labels);
        var node = new Node { Id = "sidecar~10.1.1.1~x.y~y.svc.cluster.local", Metadata = metadata };

        // Act
        var identity = StreamIdentityParser.Parse(node, "als");

        // Assert
        Assert.Equal(NodeRef.Service("lower-ns", "lower-app"), identity.Node);
        Assert.Equal("pod-from-metadata", identity.Instance);
        Assert.Equal("lower-workload", identity.Workload);
        Assert.Equal("v9", identity.Version);
        Assert.Equal("c1", identity.Cluster);
        Assert.Equal(["10.1.1.1"], identity.InstanceIps);
    }

    [Fact]
    public void Parse_CanonicalRevisionAndVersion_CanonicalRevisionWins()
    {
        // Arrange
        var node = Nodes.Sidecar(TestMesh.ReviewsV1);
        var labels = node.Metadata.Fields["LABELS"].StructValue;
        labels.Fields[CanonicalName.CanonicalRevisionLabel] = Value.ForString("rev-7");
        labels.Fields["version"] = Value.ForString("v1");

        // Act
        var identity = StreamIdentityParser.Parse(node, "als");

        // Assert
        Assert.Equal("rev-7", identity.Version);
    }

    [Fact]
    public void Parse_NonStringLabelValues_Ignored()
    {
        // Arrange
        var node = Nodes.Sidecar(TestMesh.ReviewsV1);
        var labels = node.Metadata.Fields["LABELS"].StructValue;
        labels.Fields[CanonicalName.CanonicalNameLabel] = Value.ForNumber(42);
        labels.Fields[CanonicalName.AppKubernetesNameLabel] = Value.ForBool(true);
        labels.Fields["app"] = Value.ForString("reviews-app");

        // Act
        var identity = StreamIdentityParser.Parse(node, "als");

        // Assert
        Assert.Equal("reviews-app", identity.Node.Name);
    }

    [Fact]
    public void Parse_NoMetadata_EverythingFromIdWithWorkloadFromPodName()
    {
        // Arrange
        var node = new Node { Id = "sidecar~10.244.1.30~ratings-v1-85c74b6cb4-klmno.default~default.svc.cluster.local" };

        // Act
        var identity = StreamIdentityParser.Parse(node, "als");

        // Assert
        Assert.Equal(ProxyRole.Sidecar, identity.Role);
        Assert.Equal(NodeRef.Service("default", "ratings-v1"), identity.Node);
        Assert.Equal("ratings-v1-85c74b6cb4-klmno", identity.Instance);
        Assert.Equal("ratings-v1", identity.Workload);
        Assert.Empty(identity.Version);
        Assert.Empty(identity.Cluster);
        Assert.Equal(["10.244.1.30"], identity.InstanceIps);
    }

    [Fact]
    public void Parse_PodNameWithoutReplicaSetHash_WorkloadIsPodName()
    {
        // Arrange: a StatefulSet pod (`db-0`) has no hash to strip.
        var node = new Node { Id = "sidecar~10.0.0.7~db-0.data~data.svc.cluster.local" };

        // Act
        var identity = StreamIdentityParser.Parse(node, "als");

        // Assert
        Assert.Equal(NodeRef.Service("data", "db-0"), identity.Node);
    }

    [Fact]
    public void Parse_NullNode_UnknownProxy()
    {
        // Act
        var identity = StreamIdentityParser.Parse(null, "als");

        // Assert
        Assert.Equal(ProxyRole.Proxy, identity.Role);
        Assert.Equal(NodeRef.Unknown, identity.Node);
        Assert.Empty(identity.InstanceIps);
    }

    [Theory]
    [InlineData("")]
    [InlineData("~")]
    [InlineData("~~~")]
    [InlineData("~~~~~~")]
    [InlineData("sidecar")]
    [InlineData("sidecar~")]
    [InlineData("sidecar~~~")]
    [InlineData("sidecar~10.0.0.1~.~")]
    [InlineData("sidecar~10.0.0.1~.default~default.svc.cluster.local")]
    [InlineData("sidecar~10.0.0.1~pod.~x")]
    [InlineData("sidecar~10.0.0.1~nodot~x")]
    [InlineData("router~[::1]~a.b.c.d~")]
    [InlineData("a~b~c~d~e")]
    [InlineData("\0\uFFFF~\uD800~\u00e9.\u00e9~")]
    [InlineData("sidecar~10.0.0.1~x-y-z-12345678-abcde~")]
    public void Parse_GarbageId_ReturnsIdentityWithoutThrowing(string id)
    {
        // Arrange
        var node = new Node { Id = id };

        // Act
        var identity = StreamIdentityParser.Parse(node, "als");

        // Assert
        Assert.NotNull(identity.Node.Name);
        Assert.NotNull(identity.Instance);
        Assert.All(identity.InstanceIps, ip => Assert.NotEmpty(ip));
    }

    [Fact]
    public void Parse_MetadataOfWrongShapes_IgnoredWithoutThrowing()
    {
        // Arrange: LABELS a string, NAMESPACE a number, INSTANCE_IPS a list.
        var metadata = new Struct();
        metadata.Fields["LABELS"] = Value.ForString("app=reviews");
        metadata.Fields["NAMESPACE"] = Value.ForNumber(7);
        metadata.Fields["INSTANCE_IPS"] = Value.ForList(Value.ForString("10.0.0.1"));
        var node = new Node { Id = "sidecar~10.0.0.2~reviews-v1-7f99cc4496-abcde.default~default.svc.cluster.local", Metadata = metadata };

        // Act
        var identity = StreamIdentityParser.Parse(node, "als");

        // Assert
        Assert.Equal(NodeRef.Service("default", "reviews-v1"), identity.Node);
        Assert.Equal(["10.0.0.2"], identity.InstanceIps);
    }
}
