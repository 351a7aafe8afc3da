using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Peers;
using AlsAnalyzer.Core.Tests.Support;
using AlsAnalyzer.Testing;
using TestPeers = AlsAnalyzer.Testing.Peers;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;

namespace AlsAnalyzer.Core.Tests.Peers;

public sealed class PeerMetadataReaderTests
{
    [Fact]
    public void TryRead_StructPeerWithLabels_Decoded()
    {
        // Arrange
        var state = State(("upstream_peer", TestPeers.AsStruct(TestMesh.ReviewsV2)));

        // Act
        var status = PeerMetadataReader.TryRead(state, PeerPosition.Upstream, out var peer);

        // Assert
        Assert.Equal(PeerDecodeStatus.Decoded, status);
        Assert.NotNull(peer);
        Assert.Equal("default", peer.Namespace);
        Assert.Equal("reviews", peer.Service);
        Assert.Equal("reviews-v2", peer.Workload);
        Assert.Equal("reviews-v2-5b667bcbf8-fghij", peer.Instance);
        Assert.Equal("v2", peer.Version);
        Assert.Equal("Kubernetes", peer.Cluster);
        Assert.False(peer.IsGateway);
        Assert.Equal(NodeRef.Service("default", "reviews"), peer.ToNode());
    }

    [Fact]
    public void TryRead_StructPeerWithoutLabels_DecodedFromTopLevelKeys()
    {
        // Arrange
        var state = State(("downstream_peer", TestPeers.AsStruct(TestMesh.ProductPage, withLabels: false)));

        // Act
        var status = PeerMetadataReader.TryRead(state, PeerPosition.Downstream, out var peer);

        // Assert
        Assert.Equal(PeerDecodeStatus.Decoded, status);
        Assert.NotNull(peer);
        Assert.Equal(NodeRef.Service("default", "productpage"), peer.ToNode());
        Assert.Equal("productpage-v1-6b746f74dc-9stvs", peer.Instance);
        Assert.Equal("v1", peer.Version);
    }

    [Theory]
    [InlineData("canonical-name", "svc-canonical")]
    [InlineData("app.kubernetes.io/name", "svc-k8s-name")]
    [InlineData("app", "svc-app")]
    [InlineData("workload", "svc-workload")]
    public void FromStruct_NoServiceKey_CanonicalRuleOverNestedLabels(string best, string expected)
    {
        // Arrange: the sources ranked below `best` are present too.
        var order = new[] { "canonical-name", "app.kubernetes.io/name", "app", "workload" };
        var present = order.SkipWhile(s => s != best).ToHashSet(StringComparer.Ordinal);
        var labels = new Struct();
        var s = new Struct();
        s.Fields["namespace"] = Value.ForString("shop");
        if (present.Contains("canonical-name"))
        {
            labels.Fields[CanonicalName.CanonicalNameLabel] = Value.ForString("svc-canonical");
        }

        if (present.Contains("app.kubernetes.io/name"))
        {
            labels.Fields[CanonicalName.AppKubernetesNameLabel] = Value.ForString("svc-k8s-name");
        }

        if (present.Contains("app"))
        {
            labels.Fields["app"] = Value.ForString("svc-app");
        }

        s.Fields["workload"] = Value.ForString("svc-workload");
        s.Fields["labels"] = Value.ForStruct(labels);

        // Act
        var peer = PeerMetadataReader.FromStruct(s);

        // Assert
        Assert.Equal(NodeRef.Service("shop", expected), peer.ToNode());
    }

    [Fact]
    public void FromStruct_ServiceKeyAndLabels_ServiceKeyWins()
    {
        // Arrange
        var s = new Struct();
        var labels = new Struct();
        labels.Fields[CanonicalName.CanonicalNameLabel] = Value.ForString("from-label");
        s.Fields["namespace"] = Value.ForString("shop");
        s.Fields["service"] = Value.ForString("from-service");
        s.Fields["labels"] = Value.ForStruct(labels);

        // Act
        var peer = PeerMetadataReader.FromStruct(s);

        // Assert
        Assert.Equal("from-service", peer.Service);
    }

    [Fact]
    public void FromStruct_UpperCaseKeys_ReadCaseInsensitively()
    {
        // Arrange
        var s = new Struct();
        s.Fields["NAMESPACE"] = Value.ForString("shop");
        s.Fields["Service"] = Value.ForString("cart");
        s.Fields["NAME"] = Value.ForString("cart-0");

        // Act
        var peer = PeerMetadataReader.FromStruct(s);

        // Assert
        Assert.Equal(NodeRef.Service("shop", "cart"), peer.ToNode());
        Assert.Equal("cart-0", peer.Instance);
    }

    [Fact]
    public void FromStruct_NoNamespace_NotIdentified()
    {
        // Arrange
        var s = new Struct();
        s.Fields["service"] = Value.ForString("cart");

        // Act
        var peer = PeerMetadataReader.FromStruct(s);

        // Assert
        Assert.False(peer.IsIdentified);
        Assert.Equal(NodeRef.Unknown, peer.ToNode());
    }

    [Fact]
    public void TryRead_FlatNodePeer_Decoded()
    {
        // Arrange
        var state = State(("wasm.downstream_peer", TestPeers.AsFlatNode(TestMesh.Ratings)));

        // Act
        var status = PeerMetadataReader.TryRead(state, PeerPosition.Downstream, out var peer);

        // Assert
        Assert.Equal(PeerDecodeStatus.Decoded, status);
        Assert.NotNull(peer);
        Assert.Equal(NodeRef.Service("default", "ratings"), peer.ToNode());
        Assert.Equal("ratings-v1", peer.Workload);
        Assert.Equal("ratings-v1-85c74b6cb4-klmno", peer.Instance);
        Assert.Equal("v1", peer.Version);
        Assert.Equal("Kubernetes", peer.Cluster);
        Assert.False(peer.IsGateway);
    }

    [Fact]
    public void TryRead_OtherPositionOnly_Absent()
    {
        // Arrange
        var state = State(("upstream_peer", TestPeers.AsStruct(TestMesh.ReviewsV1)), ("wasm.upstream_peer", TestPeers.AsFlatNode(TestMesh.ReviewsV1)));

        // Act
        var status = PeerMetadataReader.TryRead(state, PeerPosition.Downstream, out var peer);

        // Assert
        Assert.Equal(PeerDecodeStatus.Absent, status);
        Assert.Null(peer);
    }

    [Fact]
    public void TryRead_StructAndFlatNodeBothPresent_StructPreferred()
    {
        // Arrange
        var state = State(("upstream_peer", TestPeers.AsStruct(TestMesh.ReviewsV1)), ("wasm.upstream_peer", TestPeers.AsFlatNode(TestMesh.Ratings)));

        // Act
        var status = PeerMetadataReader.TryRead(state, PeerPosition.Upstream, out var peer);

        // Assert
        Assert.Equal(PeerDecodeStatus.Decoded, status);
        Assert.Equal("reviews", peer?.Service);
    }

    [Fact]
    public void TryRead_StructInvalidFlatNodeValid_FallsBackToFlatNode()
    {
        // Arrange
        var state = State(("upstream_peer", Broken(TestPeers.StructType)), ("wasm.upstream_peer", TestPeers.AsFlatNode(TestMesh.Ratings)));

        // Act
        var status = PeerMetadataReader.TryRead(state, PeerPosition.Upstream, out var peer);

        // Assert
        Assert.Equal(PeerDecodeStatus.Decoded, status);
        Assert.Equal("ratings", peer?.Service);
    }

    [Fact]
    public void TryRead_StructInvalidFlatNodeInvalid_Invalid()
    {
        // Arrange
        var state = State(("upstream_peer", Broken(TestPeers.StructType)), ("wasm.upstream_peer", Broken(TestPeers.BytesValueType)));

        // Act
        var status = PeerMetadataReader.TryRead(state, PeerPosition.Upstream, out var peer);

        // Assert
        Assert.Equal(PeerDecodeStatus.Invalid, status);
        Assert.Null(peer);
    }

    [Fact]
    public void TryRead_StructInvalidFlatNodeOfUnknownType_StructFailureReported()
    {
        // Arrange
        var unknown = new Any { TypeUrl = "type.googleapis.com/example.Peer", Value = ByteString.CopyFromUtf8("x") };
        var state = State(("upstream_peer", Broken(TestPeers.StructType)), ("wasm.upstream_peer", unknown));

        // Act
        var status = PeerMetadataReader.TryRead(state, PeerPosition.Upstream, out var peer);

        // Assert
        Assert.Equal(PeerDecodeStatus.Invalid, status);
        Assert.Null(peer);
    }

    [Fact]
    public void TryRead_UnknownAnyType_UnknownType()
    {
        // Arrange
        var any = new Any { TypeUrl = "type.googleapis.com/istio.mixer.v1.Attributes", Value = TestPeers.AsStruct(TestMesh.ReviewsV1).Value };
        var state = State(("upstream_peer", any));

        // Act
        var status = PeerMetadataReader.TryRead(state, PeerPosition.Upstream, out var peer);

        // Assert
        Assert.Equal(PeerDecodeStatus.UnknownType, status);
        Assert.Null(peer);
    }

    [Theory]
    [InlineData(TestPeers.StructType, "upstream_peer")]
    [InlineData(TestPeers.BytesValueType, "wasm.upstream_peer")]
    public void TryRead_BadProtobufInAny_Invalid(string typeUrl, string key)
    {
        // Arrange
        var state = State((key, Broken(typeUrl)));

        // Act
        var status = PeerMetadataReader.TryRead(state, PeerPosition.Upstream, out var peer);

        // Assert
        Assert.Equal(PeerDecodeStatus.Invalid, status);
        Assert.Null(peer);
    }

    [Fact]
    public void TryRead_BytesValueThatIsNotAFlatNode_Invalid()
    {
        // Arrange
        var bytes = new BytesValue { Value = ByteString.CopyFromUtf8("sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local") };
        var state = State(("wasm.upstream_peer", new Any { TypeUrl = TestPeers.BytesValueType, Value = bytes.ToByteString() }));

        // Act
        var status = PeerMetadataReader.TryRead(state, PeerPosition.Upstream, out var peer);

        // Assert
        Assert.Equal(PeerDecodeStatus.Invalid, status);
        Assert.Null(peer);
    }

    [Fact]
    public void TryRead_NullOrEmptyFilterState_Absent()
    {
        // Act
        var fromNull = PeerMetadataReader.TryRead(null, PeerPosition.Upstream, out var peerFromNull);
        var fromEmpty = PeerMetadataReader.TryRead(new MapField<string, Any>(), PeerPosition.Upstream, out var peerFromEmpty);

        // Assert
        Assert.Equal(PeerDecodeStatus.Absent, fromNull);
        Assert.Equal(PeerDecodeStatus.Absent, fromEmpty);
        Assert.Null(peerFromNull);
        Assert.Null(peerFromEmpty);
    }

    [Fact]
    public void TryRead_OnlyPeerIdKey_Absent()
    {
        // Arrange: `wasm.upstream_peer_id` alone names a node id, not a peer.
        var id = new BytesValue { Value = ByteString.CopyFromUtf8("sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local") };
        var state = State(("wasm.upstream_peer_id", new Any { TypeUrl = TestPeers.BytesValueType, Value = id.ToByteString() }));

        // Act
        var status = PeerMetadataReader.TryRead(state, PeerPosition.Upstream, out _);

        // Assert
        Assert.Equal(PeerDecodeStatus.Absent, status);
    }

    [Theory]
    [InlineData("istio", "ingressgateway", true)]
    [InlineData("istio", "egressgateway", true)]
    [InlineData("gateway.networking.k8s.io/gateway-name", "bookinfo-gateway", true)]
    [InlineData("istio", "pilot", false)]
    [InlineData("team", "ingressgateway", false)]
    public void TryRead_GatewayLabelsInStructAndFlatNode_IsGatewayDetected(string key, string value, bool expected)
    {
        // Arrange
        var workload = TestMesh.ProductPage with { ExtraLabels = new Dictionary<string, string> { [key] = value } };
        var structState = State(("downstream_peer", TestPeers.AsStruct(workload)));
        var flatState = State(("wasm.downstream_peer", TestPeers.AsFlatNode(workload)));

        // Act
        PeerMetadataReader.TryRead(structState, PeerPosition.Downstream, out var fromStruct);
        PeerMetadataReader.TryRead(flatState, PeerPosition.Downstream, out var fromFlat);

        // Assert
        Assert.Equal(expected, fromStruct?.IsGateway);
        Assert.Equal(expected, fromFlat?.IsGateway);
    }

    [Property(MaxTest = 300)]
    public void TryRead_RandomBytesUnderEveryTypeAndKey_NeverThrows(byte[] payload, bool wrapInBytesValue, bool structType, bool upstream)
    {
        // Arrange
        var value = wrapInBytesValue ? new BytesValue { Value = ByteString.CopyFrom(payload) }.ToByteString() : ByteString.CopyFrom(payload);
        var any = new Any { TypeUrl = structType ? TestPeers.StructType : TestPeers.BytesValueType, Value = value };
        var side = upstream ? "upstream" : "downstream";
        var state = State((side + "_peer", any), ("wasm." + side + "_peer", any));

        // Act
        var status = PeerMetadataReader.TryRead(state, upstream ? PeerPosition.Upstream : PeerPosition.Downstream, out var peer);

        // Assert
        Assert.Equal(status == PeerDecodeStatus.Decoded, peer is not null);
    }

    [Property(MaxTest = 200)]
    public Property TryRead_RandomlyMutatedFlatNode_NeverThrows()
    {
        var mutations = Gen.Zip(Gen.Choose(0, 4096), Gen.Choose(0, 255)).ArrayOf();
        return Prop.ForAll(mutations.ToArbitrary(), changes =>
        {
            // Arrange
            var bytes = TestPeers.FlatNodeBytes(TestMesh.ReviewsV1);
            foreach (var (at, b) in changes)
            {
                bytes[at % bytes.Length] = (byte)b;
            }

            var any = new Any { TypeUrl = TestPeers.BytesValueType, Value = new BytesValue { Value = ByteString.CopyFrom(bytes) }.ToByteString() };

            // Act
            var status = PeerMetadataReader.TryRead(State(("wasm.upstream_peer", any)), PeerPosition.Upstream, out var peer);

            // Assert
            // A mutated count or length may pass the budget: that is a rejection by reason, not a throw.
            return status is PeerDecodeStatus.Decoded or PeerDecodeStatus.Invalid or PeerDecodeStatus.TooManyFields or PeerDecodeStatus.StringTooLong
                && (status == PeerDecodeStatus.Decoded) == (peer is not null);
        });
    }

    private static MapField<string, Any> State(params (string Key, Any Value)[] entries)
    {
        var map = new MapField<string, Any>();
        foreach (var (key, value) in entries)
        {
            map[key] = value;
        }

        return map;
    }

    /// <summary>Field 1, length-delimited, claiming 5 bytes of which one follows: a truncated message.</summary>
    private static Any Broken(string typeUrl) => new() { TypeUrl = typeUrl, Value = ByteString.CopyFrom(0x0A, 0x05, 0x01) };
}
