using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Server.Tests;

public sealed class SmokeTests
{
    [Fact]
    public async Task OneCall_ReportedByBothSidecars_IsOneEdgeWithBothSides()
    {
        await using var server = await AlsTestServer.StartAsync();
        var productpage = new Workload("default", "productpage", "v1", "productpage-v1-7f99cc4496-abcde", "10.244.1.10");
        var reviews = new Workload("default", "reviews", "v2", "reviews-v2-7f99cc4496-fghij", "10.244.1.11");
        var call = new HttpCall { Source = productpage, Destination = reviews, Path = "/reviews/0?x=1" };
        using var client = new AlsClient(server.GrpcAddress);

        await client.SendAsync([Calls.HttpMessage([Calls.Outbound(call)], Nodes.Sidecar(productpage))], cancellationToken: TestContext.Current.CancellationToken);
        await client.SendAsync([Calls.HttpMessage([Calls.Inbound(call)], Nodes.Sidecar(reviews))], cancellationToken: TestContext.Current.CancellationToken);
        var topology = await server.GetJsonAsync("/api/v1/topology");

        Assert.Equal(1, topology.GetProperty("edges").GetArrayLength());
        var edge = topology.GetProperty("edges")[0];
        Assert.Equal("default/productpage", edge.GetProperty("source").GetString());
        Assert.Equal("default/reviews", edge.GetProperty("target").GetString());
        Assert.Equal(1, edge.GetProperty("requests").GetInt64());
        Assert.Equal(1, edge.GetProperty("client").GetProperty("requests").GetInt64());
        Assert.Equal(1, edge.GetProperty("server").GetProperty("requests").GetInt64());
        TestContext.Current.TestOutputHelper?.WriteLine(topology.ToString());
    }
}
