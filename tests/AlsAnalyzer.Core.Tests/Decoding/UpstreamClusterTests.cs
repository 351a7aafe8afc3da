using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Tests.Decoding;

public sealed class UpstreamClusterTests
{
    [Theory]
    [InlineData("outbound|9080|v1|reviews.default.svc.cluster.local", nameof(ClusterKind.Outbound), "reviews.default.svc.cluster.local")]
    [InlineData("outbound|9080||reviews.default.svc.cluster.local", nameof(ClusterKind.Outbound), "reviews.default.svc.cluster.local")]
    [InlineData("outbound|443||api.example.com", nameof(ClusterKind.Outbound), "api.example.com")]
    [InlineData("outbound|9080|v1|", nameof(ClusterKind.Outbound), "")]
    [InlineData("outbound|", nameof(ClusterKind.Outbound), "")]
    [InlineData("inbound|9080||", nameof(ClusterKind.Inbound), "")]
    [InlineData("inbound|9080|http|reviews.default.svc.cluster.local", nameof(ClusterKind.Inbound), "reviews.default.svc.cluster.local")]
    [InlineData("PassthroughCluster", nameof(ClusterKind.Passthrough), "")]
    [InlineData("BlackHoleCluster", nameof(ClusterKind.BlackHole), "")]
    [InlineData("InboundPassthroughClusterIpv4", nameof(ClusterKind.InboundPassthrough), "")]
    [InlineData("InboundPassthroughClusterIpv6", nameof(ClusterKind.InboundPassthrough), "")]
    [InlineData("", nameof(ClusterKind.Other), "")]
    [InlineData("backend", nameof(ClusterKind.Other), "")]
    [InlineData("service_google", nameof(ClusterKind.Other), "")]
    [InlineData("outbound_9080_reviews", nameof(ClusterKind.Other), "")]
    [InlineData("PassthroughCluster2", nameof(ClusterKind.Other), "")]
    public void Parse_ClusterName_KindAndHost(string name, string expectedKind, string expectedHost)
    {
        // Act
        var cluster = UpstreamCluster.Parse(name);

        // Assert
        Assert.Equal(Enum.Parse<ClusterKind>(expectedKind), cluster.Kind);
        Assert.Equal(expectedHost, cluster.Host);
    }

    [Theory]
    [InlineData("outbound|9080|v1|reviews.default.svc.cluster.local", 9080, "v1")]
    [InlineData("outbound|443||api.example.com", 443, "")]
    [InlineData("inbound|9080||", 9080, "")]
    [InlineData("outbound|http||reviews.default.svc.cluster.local", 0, "")]
    [InlineData("outbound|-1||reviews.default.svc.cluster.local", 0, "")]
    [InlineData("outbound|99999999999||reviews.default.svc.cluster.local", 0, "")]
    [InlineData("outbound|", 0, "")]
    [InlineData("PassthroughCluster", 0, "")]
    public void Parse_ClusterName_PortAndSubset(string name, int expectedPort, string expectedSubset)
    {
        // Act
        var cluster = UpstreamCluster.Parse(name);

        // Assert
        Assert.Equal(expectedPort, cluster.Port);
        Assert.Equal(expectedSubset, cluster.Subset);
    }

    [Theory]
    [InlineData("reviews.default.svc.cluster.local", "default", "reviews")]
    [InlineData("reviews.default.svc", "default", "reviews")]
    [InlineData("ratings.prod-eu.svc.mesh.example", "prod-eu", "ratings")]
    public void TrySplitServiceFqdn_ServiceFqdn_NamespaceAndName(string host, string expectedNamespace, string expectedName)
    {
        // Act
        var ok = UpstreamCluster.TrySplitServiceFqdn(host, out var ns, out var name);

        // Assert
        Assert.True(ok);
        Assert.Equal(expectedNamespace, ns);
        Assert.Equal(expectedName, name);
    }

    [Theory]
    [InlineData("api.example.com")]
    [InlineData("reviews.default")]
    [InlineData("reviews")]
    [InlineData("")]
    [InlineData(".default.svc.cluster.local")]
    [InlineData("reviews..svc.cluster.local")]
    [InlineData("reviews.default.svcx.cluster.local")]
    [InlineData("10.96.0.10")]
    public void TrySplitServiceFqdn_OtherHost_FalseWithEmptyParts(string host)
    {
        // Act
        var ok = UpstreamCluster.TrySplitServiceFqdn(host, out var ns, out var name);

        // Assert
        Assert.False(ok);
        Assert.Empty(ns);
        Assert.Empty(name);
    }
}
