using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Peers;
using AlsAnalyzer.Core.Tests.Support;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using TestPeers = AlsAnalyzer.Testing.Peers;

namespace AlsAnalyzer.Core.Tests.Peers;

/// <summary>Peer metadata over budget is rejected by reason, the same way by both decoders, and never parsed whole.</summary>
public sealed class PeerBudgetTests
{
    public static TheoryData<string, int, int, string> FlatNodes => new()
    {
        { "normal labels", 8, 20, nameof(PeerDecodeStatus.Decoded) },
        { "256 labels at one 1 MB string", 256, 1024 * 1024, nameof(PeerDecodeStatus.TooLarge) },
        { "256 labels at one 2 KB string", 256, 2048, nameof(PeerDecodeStatus.StringTooLong) },
        { "256 labels at one 1 KB string", 256, PeerBudget.MaxStringBytes, nameof(PeerDecodeStatus.Decoded) },
        { "257 labels", PeerBudget.MaxFields + 1, 8, nameof(PeerDecodeStatus.TooManyFields) },
    };

    [Theory]
    [MemberData(nameof(FlatNodes))]
    public void FlatNode_CraftedLabels_RejectedByReasonInBothDecoders(string scenario, int labels, int stringBytes, string expectedName)
    {
        var expected = System.Enum.Parse<PeerDecodeStatus>(expectedName);
        // Arrange
        var any = TestPeers.AsFlatNode(TestPeers.FlatNodeSharingOneString(TestMesh.ReviewsV1, labels, stringBytes));

        // Act
        var reference = PeerMetadataReader.TryRead(State(("wasm.upstream_peer", any)), PeerPosition.Upstream, out var peer);
        var (fast, fastPeer) = new PeerCache(100).FlatNode(any.Value.Span);

        // Assert
        Assert.True(expected == reference, scenario);
        Assert.Equal(expected, fast);
        Assert.Equal(expected == PeerDecodeStatus.Decoded, peer is not null);
        Assert.Equal(peer, fastPeer);
        if (peer is not null)
        {
            Assert.Equal(TestMesh.ReviewsV1.Namespace, peer.Namespace);
            Assert.Equal(TestMesh.ReviewsV1.Pod, peer.Instance);
        }
    }

    public static TheoryData<string, string> Structs => new()
    {
        { "istio", nameof(PeerDecodeStatus.Decoded) },
        { "deep", nameof(PeerDecodeStatus.TooDeep) },
        { "list-deep", nameof(PeerDecodeStatus.TooDeep) },
        { "wide", nameof(PeerDecodeStatus.TooManyFields) },
        { "long-string", nameof(PeerDecodeStatus.StringTooLong) },
        { "long-key", nameof(PeerDecodeStatus.StringTooLong) },
        { "large", nameof(PeerDecodeStatus.TooLarge) },
    };

    [Theory]
    [MemberData(nameof(Structs))]
    public void Struct_OverBudget_RejectedByReasonInBothDecoders(string kind, string expectedName)
    {
        var expected = System.Enum.Parse<PeerDecodeStatus>(expectedName);
        // Arrange
        var s = TestPeers.AsStruct(TestMesh.ReviewsV1).Unpack<Struct>();
        switch (kind)
        {
            case "deep":
                var nested = new Struct();
                var inner = nested;
                for (var i = 0; i < PeerBudget.MaxDepth; i++)
                {
                    var next = new Struct();
                    inner.Fields["n"] = Value.ForStruct(next);
                    inner = next;
                }

                s.Fields["extra"] = Value.ForStruct(nested);
                break;
            case "list-deep":
                var list = Value.ForList(Value.ForString("x"));
                for (var i = 0; i < PeerBudget.MaxDepth; i++)
                {
                    list = Value.ForList(list);
                }

                s.Fields["extra"] = list;
                break;
            case "wide":
                for (var i = 0; i < PeerBudget.MaxFields; i++)
                {
                    s.Fields["k" + i] = Value.ForString("v");
                }

                break;
            case "long-string":
                s.Fields["extra"] = Value.ForString(new string('v', PeerBudget.MaxStringBytes + 1));
                break;
            case "long-key":
                s.Fields[new string('k', PeerBudget.MaxStringBytes + 1)] = Value.ForBool(true);
                break;
            case "large":
                for (var i = 0; i < 20; i++)
                {
                    s.Fields["k" + i] = Value.ForString(new string('v', 1000));
                }

                break;
            default:
                break;
        }

        var any = Any.Pack(s);

        // Act
        var reference = PeerMetadataReader.TryRead(State(("upstream_peer", any)), PeerPosition.Upstream, out var peer);
        var (fast, fastPeer) = new PeerCache(100).Struct(any.Value.Span);

        // Assert
        Assert.Equal(expected, reference);
        Assert.Equal(expected, fast);
        Assert.Equal(peer, fastPeer);
        Assert.Equal(expected == PeerDecodeStatus.Decoded, peer is not null);
    }

    [Fact]
    public void Struct_AtTheDepthLimit_IsDecoded()
    {
        // Istio's own nesting (peer, labels) plus two more levels is within the budget.
        var s = TestPeers.AsStruct(TestMesh.ReviewsV1).Unpack<Struct>();
        var inner = new Struct();
        inner.Fields["n"] = Value.ForStruct(new Struct { Fields = { ["leaf"] = Value.ForString("x") } });
        s.Fields["extra"] = Value.ForStruct(inner);

        Assert.Equal(PeerDecodeStatus.Decoded, PeerBudget.CheckStruct(Any.Pack(s).Value.Span));
    }

    [Fact]
    public void PeerCache_OverBudgetPayload_IsNeitherHashedNorKept()
    {
        var cache = new PeerCache(100);
        var any = TestPeers.AsFlatNode(TestPeers.FlatNodeSharingOneString(TestMesh.ReviewsV1, 256, 1024 * 1024));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(PeerDecodeStatus.TooLarge, cache.FlatNode(any.Value.Span).Status);
        }

        Assert.Equal(0, cache.Count);
        Assert.InRange(cache.Bytes, 0, 16 * 1024);
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
}
