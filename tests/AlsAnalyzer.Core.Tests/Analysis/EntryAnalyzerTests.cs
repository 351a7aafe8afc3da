using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Tests.Support;
using AlsAnalyzer.Testing;
using TestPeers = AlsAnalyzer.Testing.Peers;
using Envoy.Config.Core.V3;
using Envoy.Data.Accesslog.V3;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using SubjectAltName = Envoy.Data.Accesslog.V3.TLSProperties.Types.CertificateProperties.Types.SubjectAltName;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Tests.Analysis;

public sealed class EntryAnalyzerTests
{
    // 12:30:15, five seconds before the test clock, in the same minute.
    private static readonly DateTimeOffset Start = TestMesh.Now.AddSeconds(-5);

    private readonly AnalysisSettings _settings = new() { RetentionMinutes = 60, MaxFutureSkew = TimeSpan.FromMinutes(5) };
    private readonly EntryAnalyzer _analyzer;
    private readonly EntryClock _clock;
    private readonly IngestTally _tally = new();
    private readonly ListSink _sink = new();
    private readonly TcpConnectionTracker _connections = new();

    public EntryAnalyzerTests()
    {
        _analyzer = new EntryAnalyzer(_settings);
        _clock = new EntryClock(TestMesh.Now, _settings);
    }

    [Fact]
    public void AnalyzeHttp_SidecarInbound_OneServerRecordFromCallerToReporter()
    {
        // Arrange
        var entry = Calls.Inbound(Call());

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(ReporterSide.Server, r.Reporter);
        Assert.Equal(NodeRef.Service("default", "productpage"), r.Source);
        Assert.Equal(TestMesh.ProductPage.Pod, r.SourceInstance);
        Assert.Equal(NodeRef.Service("default", "reviews"), r.Target);
        Assert.Equal(TestMesh.ReviewsV1.Pod, r.TargetInstance);
        Assert.False(r.SourceIsGateway);
        Assert.False(r.TargetIsGateway);
        Assert.Equal(TestMesh.MinuteOf(Start), r.Minute);
        Assert.Equal(TrafficProtocol.Http, r.Protocol);
        Assert.Equal("GET /reviews/0", r.Endpoint);
        Assert.Equal(200, r.StatusCode);
        Assert.False(r.Error);
        Assert.Equal(1, _tally.Received);
        Assert.Equal(1, _tally.Analyzed);
        Assert.Equal(0, _tally.Unattributed);
    }

    [Theory]
    [InlineData(PeerEncoding.Struct)]
    [InlineData(PeerEncoding.FlatNode)]
    public void AnalyzeHttp_SidecarOutbound_OneClientRecordFromReporterToUpstreamPeer(PeerEncoding encoding)
    {
        // Arrange
        var entry = Calls.Outbound(Call() with { Destination = TestMesh.ReviewsV2, Encoding = encoding });

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(ReporterSide.Client, r.Reporter);
        Assert.Equal(NodeRef.Service("default", "productpage"), r.Source);
        Assert.Equal(TestMesh.ProductPage.Pod, r.SourceInstance);
        Assert.Equal(NodeRef.Service("default", "reviews"), r.Target);
        Assert.Equal(TestMesh.ReviewsV2.Pod, r.TargetInstance);
        Assert.False(r.TlsKnown);
        Assert.Equal(1, _tally.Analyzed);
    }

    [Fact]
    public void AnalyzeHttp_OutboundWithoutPeer_TargetServiceFromClusterFqdn()
    {
        // Arrange
        var entry = Calls.Outbound(Call() with { Destination = TestMesh.Details, Encoding = PeerEncoding.None });

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(NodeRef.Service("backend", "details"), r.Target);
        Assert.Empty(r.TargetInstance);
        Assert.Equal(1, _tally.Analyzed);
    }

    [Fact]
    public void AnalyzeHttp_OutboundToServiceEntryHost_TargetExternal()
    {
        // Arrange
        var entry = Calls.Outbound(Call() with { Encoding = PeerEncoding.None });
        entry.CommonProperties.UpstreamCluster = "outbound|443||api.example.com";

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(NodeRef.External("api.example.com"), r.Target);
        Assert.Equal("external:api.example.com", r.Target.Id);
    }

    [Theory]
    [InlineData("api.example.com:443", "api.example.com")]
    [InlineData("api.example.com", "api.example.com")]
    [InlineData("[2001:db8::1]:8443", "[2001:db8::1]")]
    [InlineData("93.184.216.34:80", "93.184.216.34")]
    public void AnalyzeHttp_PassthroughWithAuthority_ExternalNamedByHostWithoutPort(string authority, string expected)
    {
        // Arrange
        var entry = PassthroughEntry();
        entry.Request.Authority = authority;

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(ReporterSide.Client, r.Reporter);
        Assert.Equal(NodeRef.External(expected), r.Target);
        Assert.False(r.Error);
        Assert.True(r.Passthrough);
        Assert.False(r.Blocked);
    }

    [Fact]
    public void AnalyzeHttp_PassthroughWithoutAuthority_ExternalNamedByUpstreamIp()
    {
        // Arrange
        var entry = PassthroughEntry();
        entry.Request.Authority = string.Empty;

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(NodeRef.External("93.184.216.34"), r.Target);
        Assert.Equal(1, _tally.Analyzed);
    }

    [Fact]
    public void AnalyzeHttp_BlackHole_ClientRecordIsErrorWhateverTheStatus()
    {
        // Arrange
        var entry = PassthroughEntry();
        entry.CommonProperties.UpstreamCluster = "BlackHoleCluster";

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(ReporterSide.Client, r.Reporter);
        Assert.Equal(200, r.StatusCode);
        Assert.True(r.Error);
        Assert.Equal(NodeRef.External("api.example.com"), r.Target);
        Assert.True(r.Blocked);
    }

    [Theory]
    [InlineData("InboundPassthroughClusterIpv4")]
    [InlineData("InboundPassthroughClusterIpv6")]
    public void AnalyzeHttp_InboundPassthrough_ServerRecord(string cluster)
    {
        // Arrange
        var entry = Calls.Inbound(Call());
        entry.CommonProperties.UpstreamCluster = cluster;

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(ReporterSide.Server, r.Reporter);
        Assert.Equal(NodeRef.Service("default", "productpage"), r.Source);
        Assert.Equal(NodeRef.Service("default", "reviews"), r.Target);
    }

    [Fact]
    public void AnalyzeHttp_RouterEntry_ServerHalfFromUnknownCallerAndClientHalfToUpstream()
    {
        // Arrange
        var gateway = StreamIdentityParser.Parse(Nodes.Router(TestMesh.IngressGateway), "als");
        var entry = Calls.Gateway(Call() with { Destination = TestMesh.ProductPage, Path = "/productpage" });

        // Act
        _analyzer.AnalyzeHttp(gateway, entry, _clock, _tally, _sink);

        // Assert
        Assert.Equal(2, _sink.Records.Count);
        var server = Assert.Single(_sink.Records, r => r.Reporter == ReporterSide.Server);
        Assert.Equal(NodeRef.Unknown, server.Source);
        Assert.Equal(NodeRef.Service("istio-system", "istio-ingressgateway"), server.Target);
        Assert.True(server.TargetIsGateway);
        Assert.Equal("GET /productpage", server.Endpoint);
        var client = Assert.Single(_sink.Records, r => r.Reporter == ReporterSide.Client);
        Assert.Equal(NodeRef.Service("istio-system", "istio-ingressgateway"), client.Source);
        Assert.True(client.SourceIsGateway);
        Assert.Equal(NodeRef.Service("default", "productpage"), client.Target);
        Assert.Equal(TestMesh.ProductPage.Pod, client.TargetInstance);
        Assert.False(client.TargetIsGateway);
        Assert.Equal(1, _tally.Received);
        Assert.Equal(1, _tally.Unattributed);
        Assert.Equal(0, _tally.Analyzed);
    }

    [Fact]
    public void AnalyzeHttp_WaypointEntry_ServerAndClientHalves()
    {
        // Arrange
        var waypoint = StreamIdentityParser.Parse(Nodes.Waypoint(TestMesh.Waypoint), "als");
        var entry = Calls.Outbound(Call());
        entry.CommonProperties.FilterStateObjects["downstream_peer"] = TestPeers.AsStruct(TestMesh.ProductPage);

        // Act
        _analyzer.AnalyzeHttp(waypoint, entry, _clock, _tally, _sink);

        // Assert
        Assert.Equal(2, _sink.Records.Count);
        var server = Assert.Single(_sink.Records, r => r.Reporter == ReporterSide.Server);
        Assert.Equal(NodeRef.Service("default", "productpage"), server.Source);
        Assert.Equal(NodeRef.Service("default", "waypoint"), server.Target);
        var client = Assert.Single(_sink.Records, r => r.Reporter == ReporterSide.Client);
        Assert.Equal(NodeRef.Service("default", "waypoint"), client.Source);
        Assert.Equal(NodeRef.Service("default", "reviews"), client.Target);
        Assert.Equal(1, _tally.Analyzed);
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
        _analyzer.AnalyzeHttp(gateway, entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(ReporterSide.Server, r.Reporter);
        Assert.Equal(404, r.StatusCode);
    }

    [Fact]
    public void AnalyzeHttp_InboundFromGatewayPeer_SourceIsGateway()
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Source = TestMesh.IngressGateway, Destination = TestMesh.ProductPage });

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
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
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(NodeRef.Unknown, r.Source);
        Assert.Equal(1, _tally.Unattributed);
        Assert.Equal(0, _tally.Analyzed);
    }

    [Fact]
    public void AnalyzeHttp_InboundWithoutPeerMetadataButSpiffeCertificate_CallerNamedByServiceAccount()
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Encoding = PeerEncoding.None });

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(NodeRef.ServiceAccount("default", "productpage"), r.Source);
        Assert.Equal("unknown:default/productpage", r.Source.Id);
        Assert.Empty(r.SourceInstance);
        Assert.Equal(1, _tally.Unattributed);
    }

    [Theory]
    [InlineData("spiffe://cluster.local/ns/shop/sa/cart", "unknown:shop/cart")]
    [InlineData("spiffe://td.example/ns/a-b/sa/c.d", "unknown:a-b/c.d")]
    [InlineData("spiffe://cluster.local/ns/shop", "unknown")]
    [InlineData("spiffe://cluster.local/ns//sa/cart", "unknown")]
    [InlineData("spiffe://cluster.local/ns/shop/sa/", "unknown")]
    [InlineData("spiffe://cluster.local/ns/shop/sa/cart/extra", "unknown")]
    [InlineData("spiffe://cluster.local/namespace/shop/serviceaccount/cart", "unknown")]
    [InlineData("https://cluster.local/ns/shop/sa/cart", "unknown")]
    [InlineData("", "unknown")]
    public void SpiffeCaller_PeerUriSan_NamespaceAndServiceAccountOrUnknown(string uri, string expectedId)
    {
        // Arrange
        var tls = new TLSProperties { PeerCertificateProperties = new TLSProperties.Types.CertificateProperties() };
        tls.PeerCertificateProperties.SubjectAltName.Add(new SubjectAltName { Dns = "ignored.example" });
        tls.PeerCertificateProperties.SubjectAltName.Add(new SubjectAltName { Uri = uri });

        // Act
        var caller = EntryAnalyzer.SpiffeCaller(PeerSpiffe(tls));

        // Assert
        Assert.Equal(expectedId, caller.Id);
        Assert.True(caller.IsUnknown);
    }

    [Fact]
    public void SpiffeCaller_NoTlsOrNoPeerCertificate_Unknown()
    {
        // Act + Assert
        Assert.Equal(NodeRef.Unknown, EntryAnalyzer.SpiffeCaller(PeerSpiffe(null)));
        Assert.Equal(NodeRef.Unknown, EntryAnalyzer.SpiffeCaller(PeerSpiffe(new TLSProperties())));
    }

    /// <summary>The SPIFFE URI the reference decoder takes from an entry with these TLS properties.</summary>
    private static string PeerSpiffe(TLSProperties? tls)
    {
        var entry = Calls.Inbound(Call());
        entry.CommonProperties.TlsProperties = tls;
        return ReferenceFacts.Http(entry, decodePeers: false).PeerSpiffe;
    }

    [Fact]
    public void AnalyzeHttp_NoClusterNameArrivedOnOwnIp_ServerRecord()
    {
        // Arrange
        var entry = Calls.Inbound(Call());
        entry.CommonProperties.UpstreamCluster = string.Empty;

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
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
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(ReporterSide.Client, r.Reporter);
        Assert.Equal(NodeRef.Service("default", "reviews"), r.Target);
    }

    [Theory]
    [InlineData(RequestMethod.Get, "/reviews/0?user=jason&x=1", "GET /reviews/0")]
    [InlineData(RequestMethod.Get, "/static/app.js#section", "GET /static/app.js")]
    [InlineData(RequestMethod.Post, "/api/v1/orders?dryRun=true", "POST /api/v1/orders")]
    [InlineData(RequestMethod.Delete, "/items/7", "DELETE /items/7")]
    [InlineData(RequestMethod.Patch, "/?", "PATCH /")]
    [InlineData(RequestMethod.MethodUnspecified, "/health", "- /health")]
    [InlineData(RequestMethod.Get, "", "")]
    public void AnalyzeHttp_RequestPath_EndpointIsMethodAndPathWithoutQuery(RequestMethod method, string path, string expected)
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Method = method, Path = path });

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        Assert.Equal(expected, Assert.Single(_sink.Records).Endpoint);
    }

    [Theory]
    [InlineData(2, 500_000_000, 2_500_000)]
    [InlineData(3, 0, 3_000_000)]
    [InlineData(0, 999_999, 999)]
    [InlineData(125, 1_000, 125_000_001)]
    public void AnalyzeHttp_TimeToLastDownstreamTxByte_LatencyIsWholeDurationInMicros(long seconds, int nanos, long expectedMicros)
    {
        // Arrange
        var entry = Calls.Inbound(Call());
        entry.CommonProperties.TimeToLastDownstreamTxByte = new Duration { Seconds = seconds, Nanos = nanos };
        entry.CommonProperties.Duration = new Duration { Seconds = 99 };

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        Assert.Equal(expectedMicros, Assert.Single(_sink.Records).LatencyMicros);
    }

    [Fact]
    public void AnalyzeHttp_NoTimeToLastDownstreamTxByte_LatencyFromDuration()
    {
        // Arrange
        var entry = Calls.Inbound(Call());
        entry.CommonProperties.TimeToLastDownstreamTxByte = null;
        entry.CommonProperties.Duration = new Duration { Seconds = 1, Nanos = 250_000_000 };

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        Assert.Equal(1_250_000, Assert.Single(_sink.Records).LatencyMicros);
    }

    [Fact]
    public void AnalyzeHttp_NoDurationsAtAll_LatencyMinusOne()
    {
        // Arrange
        var entry = Calls.Inbound(Call());
        entry.CommonProperties.TimeToLastDownstreamTxByte = null;
        entry.CommonProperties.Duration = null;

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        Assert.Equal(-1, Assert.Single(_sink.Records).LatencyMicros);
    }

    [Theory]
    [InlineData(200u, false)]
    [InlineData(204u, false)]
    [InlineData(302u, false)]
    [InlineData(404u, false)]
    [InlineData(499u, false)]
    [InlineData(500u, true)]
    [InlineData(503u, true)]
    [InlineData(0u, true)]
    public void AnalyzeHttp_ResponseCode_ErrorOnlyFor5xxAndNoResponse(uint status, bool expectedError)
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Status = status });

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal((int)status, r.StatusCode);
        Assert.Equal(expectedError, r.Error);
    }

    [Theory]
    [InlineData("upstream_connection_failure", true)]
    [InlineData("upstream_request_timeout", true)]
    [InlineData("downstream_connection_termination", true)]
    [InlineData("upstream_retry_limit_exceeded", true)]
    [InlineData("rate_limited", true)]
    [InlineData("delay_injected", false)]
    [InlineData("response_from_cache_filter", false)]
    public void AnalyzeHttp_ResponseFlagWith200_ErrorForFailureFlagsOnly(string flagField, bool expectedError)
    {
        // Arrange
        var flags = new ResponseFlags();
        ResponseFlags.Descriptor.FindFieldByName(flagField).Accessor.SetValue(flags, true);
        var entry = Calls.Inbound(Call() with { Flags = flags });

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(ResponseFlagSet.From(flags), r.Flags);
        Assert.NotEqual(0u, r.Flags);
        Assert.Equal(expectedError, r.Error);
    }

    [Theory]
    [InlineData("0", false)]
    [InlineData("14", true)]
    [InlineData("5", true)]
    public void AnalyzeHttp_GrpcStatusTrailer_ErrorWhenNonZero(string grpcStatus, bool expectedError)
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Grpc = true, Method = RequestMethod.Post, Path = "/reviews.Reviews/Get" });
        entry.Request.RequestHeaders["content-type"] = "application/grpc";
        entry.Response.ResponseTrailers["grpc-status"] = grpcStatus;

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(TrafficProtocol.Grpc, r.Protocol);
        Assert.Equal(200, r.StatusCode);
        Assert.Equal(expectedError, r.Error);
    }

    [Fact]
    public void AnalyzeHttp_Http2PostToGrpcPath_GrpcProtocol()
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Grpc = true, Method = RequestMethod.Post, Path = "/reviews.Reviews/Get" });

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(TrafficProtocol.Grpc, r.Protocol);
        Assert.Equal("POST /reviews.Reviews/Get", r.Endpoint);
    }

    [Fact]
    public void AnalyzeHttp_InboundWithSpiffePeerAndLocalCert_MutualTls()
    {
        // Arrange
        var entry = Calls.Inbound(Call());

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.True(r.TlsKnown);
        Assert.True(r.Mtls);
    }

    [Fact]
    public void AnalyzeHttp_InboundPlaintext_TlsKnownNotMutual()
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Mtls = false });

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.True(r.TlsKnown);
        Assert.False(r.Mtls);
    }

    [Fact]
    public void AnalyzeHttp_PeerCertificateWithDnsSanOnly_NotMutual()
    {
        // Arrange
        var entry = Calls.Inbound(Call());
        var peerCert = entry.CommonProperties.TlsProperties.PeerCertificateProperties;
        peerCert.SubjectAltName.Clear();
        peerCert.SubjectAltName.Add(new SubjectAltName { Dns = "productpage.default.svc" });

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        Assert.False(Assert.Single(_sink.Records).Mtls);
    }

    [Fact]
    public void AnalyzeHttp_PeerSpiffeButNoLocalCertificate_NotMutual()
    {
        // Arrange
        var entry = Calls.Inbound(Call());
        entry.CommonProperties.TlsProperties.LocalCertificateProperties = null;

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        Assert.False(Assert.Single(_sink.Records).Mtls);
    }

    [Fact]
    public void AnalyzeHttp_NoWireBytes_BytesFromHeadersAndBodies()
    {
        // Arrange: request headers 200 + body 100, response headers 150 + body 1000.
        var entry = Calls.Inbound(Call());

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(300, r.BytesSent);
        Assert.Equal(1150, r.BytesReceived);
    }

    [Fact]
    public void AnalyzeHttp_WireBytesPresent_WireBytesPreferred()
    {
        // Arrange
        var entry = Calls.Inbound(Call());
        entry.CommonProperties.DownstreamWireBytesReceived = 4096;
        entry.CommonProperties.DownstreamWireBytesSent = 8192;

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(4096, r.BytesSent);
        Assert.Equal(8192, r.BytesReceived);
    }

    [Fact]
    public void AnalyzeTcp_FinalOutbound_BytesAndOneConnectionAtEndMinute()
    {
        // Arrange: opened at 12:29:50, closed 20 s later in the next minute.
        var start = new DateTimeOffset(2025, 1, 15, 12, 29, 50, TimeSpan.Zero);
        var entry = Calls.TcpOutbound(Tcp() with { Start = start, Duration = TimeSpan.FromSeconds(20), SentBytes = 5000, ReceivedBytes = 700 });

        // Act
        _analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink, _connections);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(TrafficProtocol.Tcp, r.Protocol);
        Assert.Equal(ReporterSide.Client, r.Reporter);
        Assert.Equal(NodeRef.Service("default", "ratings"), r.Target);
        Assert.Equal(1, r.Connections);
        Assert.Equal(1, r.ConnectionsOpened);
        Assert.Equal(5000, r.BytesSent);
        Assert.Equal(700, r.BytesReceived);
        Assert.Equal(TestMesh.MinuteOf(start.AddSeconds(20)), r.Minute);
        Assert.NotEqual(TestMesh.MinuteOf(start), r.Minute);
        Assert.Equal(-1, r.LatencyMicros);
        Assert.Empty(r.Endpoint);
        Assert.False(r.Error);
    }

    [Fact]
    public void AnalyzeTcp_FinalEntryOfConnectionOpenedBeforeRetention_CountedAtItsEnd()
    {
        // Arrange: a three-hour connection closing now; its start is outside the 60-minute retention.
        var entry = Calls.TcpOutbound(Tcp() with { Start = TestMesh.Now.AddHours(-3), Duration = TimeSpan.FromHours(3) });

        // Act
        _analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink, _connections);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(TestMesh.MinuteOf(TestMesh.Now), r.Minute);
        Assert.Equal(1, r.Connections);
        Assert.Equal(0, _tally.RejectedTotal);
    }

    [Theory]
    [InlineData(AccessLogType.TcpPeriodic, false)]
    [InlineData(AccessLogType.TcpUpstreamConnected, false)]
    [InlineData(AccessLogType.NotSet, true)]
    public void AnalyzeTcp_FirstNonFinalEntry_NewBytesOpenedNotClosedAtLogMinute(AccessLogType type, bool intermediate)
    {
        // Arrange: logged 20 s after a start at 12:29:50, in the next minute.
        var start = new DateTimeOffset(2025, 1, 15, 12, 29, 50, TimeSpan.Zero);
        var entry = Calls.TcpOutbound(Tcp() with { Start = start, Duration = TimeSpan.FromSeconds(20), Type = type, SentBytes = 1200, ReceivedBytes = 80 });
        entry.CommonProperties.IntermediateLogEntry = intermediate;

        // Act
        _analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink, _connections);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(0, r.Connections);
        Assert.Equal(1, r.ConnectionsOpened);
        Assert.Equal(1200, r.BytesSent);
        Assert.Equal(80, r.BytesReceived);
        Assert.Equal(TestMesh.MinuteOf(start.AddSeconds(20)), r.Minute);
        Assert.Equal(NodeRef.Service("default", "ratings"), r.Target);
        Assert.Equal(1, _connections.Open);
        Assert.Equal(1, _tally.Analyzed);
    }

    [Fact]
    public void AnalyzeTcp_NotSetTypeWithoutIntermediateFlag_Final()
    {
        // Arrange: older Envoys log neither access_log_type nor intermediate_log_entry on the final entry.
        var entry = Calls.TcpOutbound(Tcp() with { Type = AccessLogType.NotSet });

        // Act
        _analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink, _connections);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(1, r.Connections);
        Assert.Equal(5000, r.BytesSent);
        Assert.Equal(0, _connections.Open);
    }

    [Fact]
    public void AnalyzeTcp_PeriodicEntriesThenFinal_EachAddsOnlyItsNewBytes()
    {
        // Arrange: cumulative counts 1000, 3000, then the final 5000 (and 100, 400, 700 back).
        var entries = new[]
        {
            Calls.TcpOutbound(Tcp() with { Type = AccessLogType.TcpPeriodic, SentBytes = 1000, ReceivedBytes = 100 }),
            Calls.TcpOutbound(Tcp() with { Type = AccessLogType.TcpPeriodic, SentBytes = 3000, ReceivedBytes = 400 }),
            Calls.TcpOutbound(Tcp() with { Type = AccessLogType.TcpConnectionEnd, SentBytes = 5000, ReceivedBytes = 700 }),
        };

        // Act
        foreach (var entry in entries)
        {
            _analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink, _connections);
        }

        // Assert
        Assert.Equal([1000L, 2000L, 2000L], _sink.Records.Select(r => r.BytesSent));
        Assert.Equal([100L, 300L, 300L], _sink.Records.Select(r => r.BytesReceived));
        Assert.Equal([1, 0, 0], _sink.Records.Select(r => r.ConnectionsOpened));
        Assert.Equal([0, 0, 1], _sink.Records.Select(r => r.Connections));
        Assert.Equal(0, _connections.Open);
    }

    [Fact]
    public void AnalyzeTcp_InterleavedConnectionsByStreamId_DeltasKeptApart()
    {
        // Arrange: two connections with the same peer and start, told apart by Envoy's stream id.
        TCPAccessLogEntry Entry(string streamId, ulong sent, AccessLogType type)
        {
            var e = Calls.TcpOutbound(Tcp() with { Type = type, SentBytes = sent });
            e.CommonProperties.StreamId = streamId;
            return e;
        }

        var entries = new[]
        {
            Entry("a", 100, AccessLogType.TcpPeriodic),
            Entry("b", 1000, AccessLogType.TcpPeriodic),
            Entry("a", 150, AccessLogType.TcpPeriodic),
            Entry("b", 1600, AccessLogType.TcpConnectionEnd),
            Entry("a", 400, AccessLogType.TcpConnectionEnd),
        };

        // Act
        foreach (var entry in entries)
        {
            _analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink, _connections);
        }

        // Assert
        Assert.Equal([100L, 1000L, 50L, 600L, 250L], _sink.Records.Select(r => r.BytesSent));
        Assert.Equal(2, _sink.Records.Sum(r => r.ConnectionsOpened));
        Assert.Equal(2, _sink.Records.Sum(r => r.Connections));
    }

    [Fact]
    public void AnalyzeTcp_PeriodicEntryOfConnectionOpenedBeforeRetention_CountedAtLogTime()
    {
        // Arrange: a database connection open for three hours reports periodically.
        var entry = Calls.TcpOutbound(Tcp() with { Start = TestMesh.Now.AddHours(-3), Duration = TimeSpan.FromHours(3), Type = AccessLogType.TcpPeriodic });

        // Act
        _analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink, _connections);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(TestMesh.MinuteOf(TestMesh.Now), r.Minute);
        Assert.Equal(5000, r.BytesSent);
        Assert.Equal(0, _tally.RejectedTotal);
    }

    [Fact]
    public void AnalyzeTcp_NothingIdentifiesTheConnection_OnlyFinalEntryCountsWithTotals()
    {
        // Arrange: no stream id and no downstream address to key the connection on.
        TCPAccessLogEntry Entry(ulong sent, AccessLogType type)
        {
            var e = Calls.TcpOutbound(Tcp() with { Type = type, SentBytes = sent });
            e.CommonProperties.DownstreamRemoteAddress = null;
            return e;
        }

        // Act
        _analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), Entry(1000, AccessLogType.TcpPeriodic), _clock, _tally, _sink, _connections);
        _analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), Entry(3000, AccessLogType.TcpConnectionEnd), _clock, _tally, _sink, _connections);

        // Assert
        Assert.Equal([0L, 3000L], _sink.Records.Select(r => r.BytesSent));
        Assert.Equal(1, _sink.Records.Sum(r => r.Connections));
        Assert.Equal(0, _connections.Open);
    }

    [Fact]
    public void AnalyzeTcp_Inbound_ServerRecordWithPeerAndMutualTls()
    {
        // Arrange
        var entry = Calls.TcpInbound(Tcp() with { Encoding = PeerEncoding.FlatNode });

        // Act
        _analyzer.AnalyzeTcp(Sidecar(TestMesh.Ratings), entry, _clock, _tally, _sink, _connections);

        // Assert
        var r = Assert.Single(_sink.Records);
        Assert.Equal(ReporterSide.Server, r.Reporter);
        Assert.Equal(NodeRef.Service("default", "productpage"), r.Source);
        Assert.Equal(NodeRef.Service("default", "ratings"), r.Target);
        Assert.True(r.Mtls);
        Assert.Equal(1, r.Connections);
    }

    [Fact]
    public void AnalyzeTcp_FailureFlag_Error()
    {
        // Arrange
        var entry = Calls.TcpOutbound(Tcp());
        entry.CommonProperties.ResponseFlags = new ResponseFlags { UpstreamConnectionFailure = true };

        // Act
        _analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink, _connections);

        // Assert
        Assert.True(Assert.Single(_sink.Records).Error);
    }

    public static TheoryData<string, string> UnusualAddresses => new()
    {
        { "ipv6", "inbound|9080||" },
        { "ipv6", "" },
        { "ipv6", "PassthroughCluster" },
        { "pipe", "inbound|9080||" },
        { "pipe", "" },
        { "pipe", "PassthroughCluster" },
        { "internal", "" },
        { "internal", "PassthroughCluster" },
        { "internal", "outbound|80||" },
        { "empty", "" },
        { "empty", "BlackHoleCluster" },
    };

    [Theory]
    [MemberData(nameof(UnusualAddresses))]
    public void AnalyzeHttp_Ipv6PipeInternalOrEmptyAddresses_RecordedWithoutThrowing(string kind, string cluster)
    {
        // Arrange
        var address = kind switch
        {
            "ipv6" => Calls.Socket("2001:db8::7", 443),
            "pipe" => new Address { Pipe = new Pipe { Path = "/var/run/app.sock" } },
            "internal" => new Address { EnvoyInternalAddress = new EnvoyInternalAddress { ServerListenerName = "connect_originate", EndpointId = "10.0.0.1:80" } },
            _ => new Address(),
        };
        var entry = Calls.Inbound(Call() with { Source = null });
        var common = entry.CommonProperties;
        common.UpstreamCluster = cluster;
        common.DownstreamRemoteAddress = address;
        common.DownstreamDirectRemoteAddress = address;
        common.DownstreamLocalAddress = address;
        common.UpstreamRemoteAddress = address;
        common.UpstreamLocalAddress = address;
        entry.Request.Authority = string.Empty;

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        Assert.Single(_sink.Records);
        Assert.Equal(1, _tally.Analyzed + _tally.Unattributed);
    }

    [Fact]
    public void AnalyzeHttp_PassthroughToIpv6WithoutAuthority_ExternalNamedByIpv6()
    {
        // Arrange
        var entry = PassthroughEntry();
        entry.Request.Authority = string.Empty;
        entry.CommonProperties.UpstreamRemoteAddress = Calls.Socket("2001:db8::7", 443);

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink);

        // Assert
        Assert.Equal(NodeRef.External("2001:db8::7"), Assert.Single(_sink.Records).Target);
    }

    [Fact]
    public void AnalyzeHttp_MissingCommonProperties_RejectedWithReason()
    {
        // Arrange
        var entry = new HTTPAccessLogEntry { Request = new HTTPRequestProperties { Path = "/" } };

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        Assert.Empty(_sink.Records);
        Assert.Equal(1, _tally.Received);
        Assert.Equal(1, _tally.Rejected[(int)RejectReason.MissingCommonProperties]);
        Assert.Equal(1, _tally.RejectedTotal);
    }

    [Fact]
    public void AnalyzeTcp_MissingCommonProperties_RejectedWithReason()
    {
        // Arrange
        var entry = new TCPAccessLogEntry { ConnectionProperties = new ConnectionProperties { SentBytes = 1 } };

        // Act
        _analyzer.AnalyzeTcp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink, _connections);

        // Assert
        Assert.Empty(_sink.Records);
        Assert.Equal(1, _tally.Rejected[(int)RejectReason.MissingCommonProperties]);
    }

    [Fact]
    public void AnalyzeHttp_StartBeforeRetention_RejectedOutsideRetention()
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Start = TestMesh.Now.AddHours(-2) });

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        Assert.Empty(_sink.Records);
        Assert.Equal(1, _tally.Rejected[(int)RejectReason.OutsideRetention]);
        Assert.Equal(0, _tally.Analyzed);
    }

    [Fact]
    public void AnalyzeHttp_RetentionBoundary_OldestMinuteKeptSecondBeforeRejected()
    {
        // Arrange: 60 minutes kept, the current one included, so the oldest starts at 11:31:00.
        var oldest = new DateTimeOffset(2025, 1, 15, 11, 31, 0, TimeSpan.Zero);
        var kept = Calls.Inbound(Call() with { Start = oldest });
        var dropped = Calls.Inbound(Call() with { Start = oldest.AddSeconds(-1) });

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), kept, _clock, _tally, _sink);
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), dropped, _clock, _tally, _sink);

        // Assert
        Assert.Equal(TestMesh.MinuteOf(oldest), Assert.Single(_sink.Records).Minute);
        Assert.Equal(1, _tally.Rejected[(int)RejectReason.OutsideRetention]);
    }

    [Fact]
    public void AnalyzeHttp_StartBeyondFutureSkew_RejectedFutureTimestamp()
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Start = TestMesh.Now.AddMinutes(10) });

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        Assert.Empty(_sink.Records);
        Assert.Equal(1, _tally.Rejected[(int)RejectReason.FutureTimestamp]);
    }

    [Fact]
    public void AnalyzeHttp_StartWithinFutureSkew_Accepted()
    {
        // Arrange: a client clock 4 minutes ahead of ours.
        var start = TestMesh.Now.AddMinutes(4);
        var entry = Calls.Inbound(Call() with { Start = start });

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        Assert.Equal(TestMesh.MinuteOf(start), Assert.Single(_sink.Records).Minute);
    }

    [Fact]
    public void AnalyzeHttp_NoStartTime_BucketedAtArrival()
    {
        // Arrange
        var entry = Calls.Inbound(Call());
        entry.CommonProperties.StartTime = null;

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, _clock, _tally, _sink);

        // Assert
        Assert.Equal(TestMesh.MinuteOf(TestMesh.Now), Assert.Single(_sink.Records).Minute);
    }

    [Fact]
    public void AnalyzeHttp_PeerOfUnknownType_CountedAndTargetFromCluster()
    {
        // Arrange
        var entry = Calls.Outbound(Call() with { Encoding = PeerEncoding.None });
        entry.CommonProperties.FilterStateObjects["upstream_peer"] = new Any { TypeUrl = "type.googleapis.com/example.Unknown", Value = ByteString.CopyFromUtf8("x") };

        // Act
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink);

        // Assert
        Assert.Equal(NodeRef.Service("default", "reviews"), Assert.Single(_sink.Records).Target);
        Assert.Equal(1, _tally.PeerUnknownType);
        Assert.Equal(0, _tally.PeerInvalid);
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
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, _clock, _tally, _sink);

        // Assert
        Assert.Equal(NodeRef.Service("default", "reviews"), Assert.Single(_sink.Records).Target);
        Assert.Equal(1, _tally.PeerInvalid);
    }

    // Each kind of entry and how it must be accounted: A analysed, U unattributed,
    // M/O/F rejected for missing common properties, outside retention, future timestamp.
    private static readonly string[] KindOutcomes = ["A", "A", "A", "U", "M", "O", "F", "A", "A", "U", "U", "M", "A", "A"];

    [Property(MaxTest = 100)]
    public Property Analyze_AnyMixOfEntries_EveryEntryAccountedForExactlyOnce()
    {
        var kinds = Gen.Choose(0, KindOutcomes.Length - 1).ArrayOf();
        return Prop.ForAll(kinds.ToArbitrary(), mix =>
        {
            // Arrange
            var tally = new IngestTally();
            var sink = new ListSink();
            var connections = new TcpConnectionTracker();

            // Act
            foreach (var kind in mix)
            {
                Feed(kind, tally, sink, connections);
            }

            // Assert
            var expected = mix.Select(k => KindOutcomes[k]).ToList();
            return tally.Received == mix.Length
                && tally.Received == tally.Analyzed + tally.Unattributed + tally.RejectedTotal
                && tally.Analyzed == expected.Count(o => o == "A")
                && tally.Unattributed == expected.Count(o => o == "U")
                && tally.Rejected[(int)RejectReason.MissingCommonProperties] == expected.Count(o => o == "M")
                && tally.Rejected[(int)RejectReason.OutsideRetention] == expected.Count(o => o == "O")
                && tally.Rejected[(int)RejectReason.FutureTimestamp] == expected.Count(o => o == "F")
                && tally.Rejected[(int)RejectReason.MissingIdentifier] == 0;
        });
    }

    private void Feed(int kind, IngestTally tally, ListSink sink, TcpConnectionTracker connections)
    {
        var reviews = Sidecar(TestMesh.ReviewsV1);
        var productPage = Sidecar(TestMesh.ProductPage);
        switch (kind)
        {
            case 0:
                _analyzer.AnalyzeHttp(reviews, Calls.Inbound(Call()), _clock, tally, sink);
                break;
            case 1:
                _analyzer.AnalyzeHttp(productPage, Calls.Outbound(Call()), _clock, tally, sink);
                break;
            case 2:
                _analyzer.AnalyzeHttp(productPage, Calls.Outbound(Call() with { Encoding = PeerEncoding.None }), _clock, tally, sink);
                break;
            case 3:
                _analyzer.AnalyzeHttp(StreamIdentityParser.Parse(Nodes.Router(TestMesh.IngressGateway), "als"), Calls.Gateway(Call()), _clock, tally, sink);
                break;
            case 4:
                _analyzer.AnalyzeHttp(reviews, new HTTPAccessLogEntry(), _clock, tally, sink);
                break;
            case 5:
                _analyzer.AnalyzeHttp(reviews, Calls.Inbound(Call() with { Start = TestMesh.Now.AddDays(-1) }), _clock, tally, sink);
                break;
            case 6:
                _analyzer.AnalyzeHttp(reviews, Calls.Inbound(Call() with { Start = TestMesh.Now.AddDays(1) }), _clock, tally, sink);
                break;
            case 7:
                _analyzer.AnalyzeTcp(productPage, Calls.TcpOutbound(Tcp()), _clock, tally, sink, connections);
                break;
            case 8:
                _analyzer.AnalyzeTcp(Sidecar(TestMesh.Ratings), Calls.TcpInbound(Tcp() with { Type = AccessLogType.TcpPeriodic }), _clock, tally, sink, connections);
                break;
            case 9:
                var passthrough = PassthroughEntry();
                passthrough.Request.Authority = string.Empty;
                passthrough.CommonProperties.UpstreamRemoteAddress = new Address { Pipe = new Pipe { Path = "/tmp/s" } };
                passthrough.CommonProperties.DownstreamLocalAddress = null;
                _analyzer.AnalyzeHttp(productPage, passthrough, _clock, tally, sink);
                break;
            case 10:
                _analyzer.AnalyzeHttp(reviews, Calls.Inbound(Call() with { Source = null }), _clock, tally, sink);
                break;
            case 11:
                _analyzer.AnalyzeTcp(productPage, new TCPAccessLogEntry(), _clock, tally, sink, connections);
                break;
            case 12:
                var broken = Calls.Outbound(Call() with { Encoding = PeerEncoding.None });
                broken.CommonProperties.FilterStateObjects["upstream_peer"] = new Any { TypeUrl = TestPeers.StructType, Value = ByteString.CopyFrom(0x0A, 0x05) };
                _analyzer.AnalyzeHttp(productPage, broken, _clock, tally, sink);
                break;
            default:
                _analyzer.AnalyzeTcp(productPage, Calls.TcpOutbound(Tcp() with { Start = TestMesh.Now.AddHours(-5), Duration = TimeSpan.FromHours(5) }), _clock, tally, sink, connections);
                break;
        }
    }

    private static StreamIdentity Sidecar(Workload w) => StreamIdentityParser.Parse(Nodes.Sidecar(w), "als");

    private static HttpCall Call() => new()
    {
        Source = TestMesh.ProductPage,
        Destination = TestMesh.ReviewsV1,
        Path = "/reviews/0",
        Start = Start,
        Latency = TimeSpan.FromMilliseconds(12),
    };

    private static TcpCall Tcp() => new()
    {
        Source = TestMesh.ProductPage,
        Destination = TestMesh.Ratings,
        Start = Start.AddSeconds(-2),
        Duration = TimeSpan.FromSeconds(2),
    };

    /// <summary>productpage calling https://api.example.com through the PassthroughCluster, no peer metadata.</summary>
    private static HTTPAccessLogEntry PassthroughEntry()
    {
        var entry = Calls.Outbound(Call() with { Encoding = PeerEncoding.None });
        entry.CommonProperties.UpstreamCluster = "PassthroughCluster";
        entry.CommonProperties.UpstreamRemoteAddress = Calls.Socket("93.184.216.34", 443);
        entry.CommonProperties.DownstreamLocalAddress = Calls.Socket("93.184.216.34", 443);
        entry.Request.Authority = "api.example.com";
        return entry;
    }
}
