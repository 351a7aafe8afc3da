using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Tests.Support;
using AlsAnalyzer.Testing;
using TestPeers = AlsAnalyzer.Testing.Peers;
using static AlsAnalyzer.Core.Tests.Analysis.EntryAnalyzerArrange;

namespace AlsAnalyzer.Core.Tests.Analysis;

/// <summary>Which side an entry reports (client or server), from whom to whom: sidecars inbound and outbound, routers, waypoints, entries without a cluster name.</summary>
public sealed class EntryAnalyzerDirectionTests : EntryAnalyzerFixture
{
    [Fact]
    public void AnalyzeHttp_SidecarInbound_OneServerRecordFromCallerToReporter()
    {
        // Arrange
        var entry = Calls.Inbound(Call());

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(ReporterSide.Server, r.Reporter);
        Assert.Equal(NodeRef.Service("default", "productpage"), r.Source);
        Assert.Equal(TestMesh.ProductPage.Pod, r.SourceInstance);
        Assert.Equal(NodeRef.Service("default", "reviews"), r.Target);
        Assert.Equal(TestMesh.ReviewsV1.Pod, r.TargetInstance);
        Assert.False(r.SourceIsGateway);
        Assert.False(r.TargetIsGateway);
        Assert.Equal(TestMesh.MinuteOf(Start), r.Minute);
        Assert.Equal(TrafficProtocol.Http, r.Protocol);
        Assert.Equal("GET /reviews/{id}", r.Endpoint);
        Assert.Equal(200, r.StatusCode);
        Assert.False(r.Error);
        Assert.Equal(1, Tally.Received);
        Assert.Equal(1, Tally.Analyzed);
        Assert.Equal(0, Tally.Unattributed);
    }

    [Theory]
    [InlineData(PeerEncoding.Struct)]
    [InlineData(PeerEncoding.FlatNode)]
    public void AnalyzeHttp_SidecarOutbound_OneClientRecordFromReporterToUpstreamPeer(PeerEncoding encoding)
    {
        // Arrange
        var entry = Calls.Outbound(Call() with { Destination = TestMesh.ReviewsV2, Encoding = encoding });

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(ReporterSide.Client, r.Reporter);
        Assert.Equal(NodeRef.Service("default", "productpage"), r.Source);
        Assert.Equal(TestMesh.ProductPage.Pod, r.SourceInstance);
        Assert.Equal(NodeRef.Service("default", "reviews"), r.Target);
        Assert.Equal(TestMesh.ReviewsV2.Pod, r.TargetInstance);
        Assert.False(r.TlsKnown);
        Assert.Equal(1, Tally.Analyzed);
    }

    [Fact]
    public void AnalyzeHttp_OutboundWithoutPeer_TargetServiceFromClusterFqdn()
    {
        // Arrange
        var entry = Calls.Outbound(Call() with { Destination = TestMesh.Details, Encoding = PeerEncoding.None });

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(NodeRef.Service("backend", "details"), r.Target);
        Assert.Empty(r.TargetInstance);
        Assert.Equal(1, Tally.Analyzed);
    }

    [Fact]
    public void AnalyzeHttp_RouterEntry_ServerHalfFromUnknownCallerAndClientHalfToUpstream()
    {
        // Arrange
        var gateway = StreamIdentityParser.Parse(Nodes.Router(TestMesh.IngressGateway), "als");
        var entry = Calls.Gateway(Call() with { Destination = TestMesh.ProductPage, Path = "/productpage" });

        // Act
        Analyzer.AnalyzeHttp(gateway, entry, Clock, Tally, Sink);

        // Assert
        Assert.Equal(2, Sink.Records.Count);
        var server = Assert.Single(Sink.Records, r => r.Reporter == ReporterSide.Server);
        Assert.Equal(NodeRef.Unknown, server.Source);
        Assert.Equal(NodeRef.Service("istio-system", "istio-ingressgateway"), server.Target);
        Assert.True(server.TargetIsGateway);
        Assert.Equal("GET /productpage", server.Endpoint);
        var client = Assert.Single(Sink.Records, r => r.Reporter == ReporterSide.Client);
        Assert.Equal(NodeRef.Service("istio-system", "istio-ingressgateway"), client.Source);
        Assert.True(client.SourceIsGateway);
        Assert.Equal(NodeRef.Service("default", "productpage"), client.Target);
        Assert.Equal(TestMesh.ProductPage.Pod, client.TargetInstance);
        Assert.False(client.TargetIsGateway);
        Assert.Equal(1, Tally.Received);
        Assert.Equal(1, Tally.Unattributed);
        Assert.Equal(0, Tally.Analyzed);
    }

    [Fact]
    public void AnalyzeHttp_WaypointEntry_ServerAndClientHalves()
    {
        // Arrange
        var waypoint = StreamIdentityParser.Parse(Nodes.Waypoint(TestMesh.Waypoint), "als");
        var entry = Calls.Outbound(Call());
        entry.CommonProperties.FilterStateObjects["downstream_peer"] = TestPeers.AsStruct(TestMesh.ProductPage);

        // Act
        Analyzer.AnalyzeHttp(waypoint, entry, Clock, Tally, Sink);

        // Assert
        Assert.Equal(2, Sink.Records.Count);
        var server = Assert.Single(Sink.Records, r => r.Reporter == ReporterSide.Server);
        Assert.Equal(NodeRef.Service("default", "productpage"), server.Source);
        Assert.Equal(NodeRef.Service("default", "waypoint"), server.Target);
        var client = Assert.Single(Sink.Records, r => r.Reporter == ReporterSide.Client);
        Assert.Equal(NodeRef.Service("default", "waypoint"), client.Source);
        Assert.Equal(NodeRef.Service("default", "reviews"), client.Target);
        Assert.Equal(1, Tally.Analyzed);
    }

    [Fact]
    public void AnalyzeHttp_RouterDirectResponseWithoutUpstream_ServerHalfOnly()
    {
        // Arrange
        var gateway = StreamIdentityParser.Parse(Nodes.Router(TestMesh.IngressGateway), "als");
        var entry = Calls.Gateway(Call() with { Status = 404 });
        entry.CommonProperties.UpstreamCluster = string.Empty;
        entry.CommonProperties.UpstreamRemoteAddress = null;
        entry.CommonProperties.FilterStateObjects.Clear();

        // Act
        Analyzer.AnalyzeHttp(gateway, entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(ReporterSide.Server, r.Reporter);
        Assert.Equal(404, r.StatusCode);
    }

    [Fact]
    public void AnalyzeHttp_NoClusterNameArrivedOnOwnIp_ServerRecord()
    {
        // Arrange
        var entry = Calls.Inbound(Call());
        entry.CommonProperties.UpstreamCluster = string.Empty;

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(ReporterSide.Server, r.Reporter);
        Assert.Equal(NodeRef.Service("default", "productpage"), r.Source);
    }

    [Fact]
    public void AnalyzeHttp_NoClusterNameArrivedOnOtherIp_ClientRecord()
    {
        // Arrange
        var entry = Calls.Outbound(Call());
        entry.CommonProperties.UpstreamCluster = string.Empty;

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(ReporterSide.Client, r.Reporter);
        Assert.Equal(NodeRef.Service("default", "reviews"), r.Target);
    }
}
