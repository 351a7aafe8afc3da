using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Tests.Support;
using AlsAnalyzer.Testing;
using Envoy.Config.Core.V3;
using static AlsAnalyzer.Core.Tests.Analysis.EntryAnalyzerArrange;

namespace AlsAnalyzer.Core.Tests.Analysis;

/// <summary>Traffic leaving or entering the mesh: service entries, the passthrough and black-hole clusters, unusual addresses.</summary>
public sealed class EntryAnalyzerExternalTests : EntryAnalyzerFixture
{
    [Fact]
    public void AnalyzeHttp_OutboundToServiceEntryHost_TargetExternal()
    {
        // Arrange
        var entry = Calls.Outbound(Call() with { Encoding = PeerEncoding.None });
        entry.CommonProperties.UpstreamCluster = "outbound|443||api.example.com";

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
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
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
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
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(NodeRef.External("93.184.216.34"), r.Target);
        Assert.Equal(1, Tally.Analyzed);
    }

    [Fact]
    public void AnalyzeHttp_BlackHole_ClientRecordIsErrorWhateverTheStatus()
    {
        // Arrange
        var entry = PassthroughEntry();
        entry.CommonProperties.UpstreamCluster = "BlackHoleCluster";

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
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
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(ReporterSide.Server, r.Reporter);
        Assert.Equal(NodeRef.Service("default", "productpage"), r.Source);
        Assert.Equal(NodeRef.Service("default", "reviews"), r.Target);
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
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        Assert.Single(Sink.Records);
        Assert.Equal(1, Tally.Analyzed + Tally.Unattributed);
    }

    [Fact]
    public void AnalyzeHttp_PassthroughToIpv6WithoutAuthority_ExternalNamedByIpv6()
    {
        // Arrange
        var entry = PassthroughEntry();
        entry.Request.Authority = string.Empty;
        entry.CommonProperties.UpstreamRemoteAddress = Calls.Socket("2001:db8::7", 443);

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink);

        // Assert
        Assert.Equal(NodeRef.External("2001:db8::7"), Assert.Single(Sink.Records).Target);
    }
}
