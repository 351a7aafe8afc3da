using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Kubernetes;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Tests.Kubernetes;

public sealed class ServiceEntryIndexTests
{
    private static readonly ServiceEntryIndex Index = new(
    [
        new ServiceEntryRecord { Namespace = "payments", Name = "stripe", Hosts = ["api.stripe.com", "*.stripe.com"] },
        new ServiceEntryRecord { Namespace = "eu", Name = "eu-stripe", Hosts = ["*.eu.stripe.com"] },
        new ServiceEntryRecord { Namespace = "data", Name = "orders-db", Hosts = ["orders-db.corp.internal"], Addresses = ["203.0.113.0/24", "198.51.100.5"] },
        new ServiceEntryRecord { Namespace = "zz", Name = "late", Hosts = ["api.stripe.com"], Addresses = ["198.51.100.5"] },
    ]);

    [Theory]
    [InlineData("api.stripe.com", "", "payments", "api.stripe.com")]
    [InlineData("API.Stripe.com", "", "payments", "api.stripe.com")]
    [InlineData("files.stripe.com", "", "payments", "api.stripe.com")]
    [InlineData("files.eu.stripe.com", "", "eu", "*.eu.stripe.com")]
    [InlineData("", "203.0.113.7", "data", "orders-db.corp.internal")]
    [InlineData("", "198.51.100.5", "data", "orders-db.corp.internal")]
    [InlineData("example.com", "203.0.113.9", "data", "orders-db.corp.internal")]
    public void Find_HostThenAddress_FirstEntryByNamespaceAndNameWins(string host, string ip, string ns, string name)
    {
        var node = Index.Find(host, IpText.FromString(ip));

        Assert.Equal(NodeRef.External(ns, name), node);
    }

    [Fact]
    public void Find_NothingClaimsIt_Null()
    {
        Assert.Null(Index.Find("example.com", IpText.FromString("192.0.2.1")));
        Assert.Null(Index.Find("stripe.com", default));
        Assert.Null(ServiceEntryIndex.Empty.Find("api.stripe.com", IpText.FromString("203.0.113.7")));
    }
}
