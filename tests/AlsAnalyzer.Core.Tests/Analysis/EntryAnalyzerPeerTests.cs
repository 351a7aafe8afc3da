using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Tests.Support;
using AlsAnalyzer.Testing;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using TestPeers = AlsAnalyzer.Testing.Peers;
using static AlsAnalyzer.Core.Tests.Analysis.EntryAnalyzerArrange;

namespace AlsAnalyzer.Core.Tests.Analysis;

/// <summary>The caller or target named from peer metadata: gateways, callers outside the mesh, peers of unknown type or invalid bytes.</summary>
public sealed class EntryAnalyzerPeerTests : EntryAnalyzerFixture
{
    [Fact]
    public void AnalyzeHttp_InboundFromGatewayPeer_SourceIsGateway()
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Source = TestMesh.IngressGateway, Destination = TestMesh.ProductPage });

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(NodeRef.Service("istio-system", "istio-ingressgateway"), r.Source);
        Assert.True(r.SourceIsGateway);
        Assert.False(r.TargetIsGateway);
    }

    [Fact]
    public void AnalyzeHttp_InboundFromOutsideMesh_UnknownSourceUnattributed()
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Source = null, Mtls = false });

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(NodeRef.Unknown, r.Source);
        Assert.Equal(1, Tally.Unattributed);
        Assert.Equal(0, Tally.Analyzed);
    }

    [Fact]
    public void AnalyzeHttp_PeerOfUnknownType_CountedAndTargetFromCluster()
    {
        // Arrange
        var entry = Calls.Outbound(Call() with { Encoding = PeerEncoding.None });
        entry.CommonProperties.FilterStateObjects["upstream_peer"] = new Any { TypeUrl = "type.googleapis.com/example.Unknown", Value = ByteString.CopyFromUtf8("x") };

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink);

        // Assert
        Assert.Equal(NodeRef.Service("default", "reviews"), Assert.Single(Sink.Records).Target);
        Assert.Equal(1, Tally.PeerUnknownType);
        Assert.Equal(0, Tally.PeerInvalid);
    }

    [Fact]
    public void AnalyzeHttp_InvalidPeerBytes_CountedAndTargetFromCluster()
    {
        // Arrange
        var entry = Calls.Outbound(Call() with { Encoding = PeerEncoding.None });
        entry.CommonProperties.FilterStateObjects["wasm.upstream_peer"] = new Any
        {
            TypeUrl = TestPeers.BytesValueType,
            Value = new BytesValue { Value = ByteString.CopyFrom(1, 2, 3, 4, 5, 6, 7, 8, 9) }.ToByteString(),
        };

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink);

        // Assert
        Assert.Equal(NodeRef.Service("default", "reviews"), Assert.Single(Sink.Records).Target);
        Assert.Equal(1, Tally.PeerInvalid);
    }
}
