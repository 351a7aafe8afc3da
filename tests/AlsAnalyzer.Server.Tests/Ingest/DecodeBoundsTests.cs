using AlsAnalyzer.Server.Hosting;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Tests.Ingest;

/// <summary>Endpoint grouping and the decoders' bounds, through the real server and a real gRPC client.</summary>
public sealed class DecodeBoundsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("analyze")]
    [InlineData("reference")]
    public async Task Endpoints_PathsWithIdsTemplatesAndLongPaths_AreGroupedAlike(string mode)
    {
        // Arrange
        await using var server = await AlsTestServer.StartAsync($"IngestMode={mode}", "EndpointTemplates=/api/v1/orders/{orderId}/items", "MaxEndpointLength=64");
        var longPath = "/search/" + string.Join('/', Enumerable.Range(0, 800).Select(i => "term" + (char)('a' + (i % 26))));
        string[] paths =
        [
            "/users/1", "/users/2?tab=orders", "/users/123e4567-e89b-12d3-a456-426614174000",
            "/api/v1/orders/A-77/items", "/api/v1/orders/B-78/items;v=2",
            "/cart;jsessionid=AB12/items",
            "/objects/507f1f77bcf86cd799439011",
            longPath, longPath,
        ];
        var sender = new StreamSender();
        foreach (var path in paths)
        {
            var call = new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details, Path = path };
            sender.Http(Nodes.Sidecar(Mesh.Details), Calls.Inbound(call));
        }

        // Act
        using (var client = new AlsClient(server.GrpcAddress))
        {
            await sender.SendAsync(client);
        }

        var detail = await server.GetJsonAsync("/api/v1/services/default/details");
        var m = await server.ScrapeAsync();

        // Assert
        var endpoints = detail.GetProperty("endpoints").EnumerateArray().ToDictionary(e => e.GetProperty("endpoint").GetString()!, e => e.GetProperty("requests").GetInt64());
        Assert.Equal(
            new Dictionary<string, long>
            {
                ["GET /users/{id}"] = 3,
                ["GET /api/v1/orders/{orderId}/items"] = 2,
                ["GET /cart/items"] = 1,
                ["GET /objects/{id}"] = 1,
                ["GET /search/terma/termb/termc/termd/terme/termf/termg/{truncated}"] = 2,
            },
            endpoints);
        Assert.Equal(paths.Length, m.Get("als_entries_analyzed_total"));
        if (mode == "analyze")
        {
            Assert.Equal(5, m.Get("als_decode_table_entries{table=\"endpoints\"}"));
            Assert.Equal(2, m.Get("als_decode_table_too_long_total{table=\"endpoints\"}"));
            Assert.True(m.Get("als_decode_table_bytes{table=\"endpoints\"}") > 0);
            Assert.True(m.Get("als_decode_table_byte_capacity{table=\"peers\"}") > 0);
        }
    }

    [Fact]
    public async Task Endpoints_DefaultGroupingOff_KeepsIds()
    {
        await using var server = await AlsTestServer.StartAsync("GroupEndpointIds=false");
        var sender = new StreamSender();
        foreach (var path in new[] { "/users/1", "/users/2" })
        {
            sender.Http(Nodes.Sidecar(Mesh.Details), Calls.Inbound(new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details, Path = path }));
        }

        using (var client = new AlsClient(server.GrpcAddress))
        {
            await sender.SendAsync(client);
        }

        var detail = await server.GetJsonAsync("/api/v1/services/default/details");

        var endpoints = detail.GetProperty("endpoints").EnumerateArray().Select(e => e.GetProperty("endpoint").GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(["GET /users/1", "GET /users/2"], endpoints);
    }

    [Fact]
    public void Startup_BadEndpointTemplate_StopsWithTheProblemNamed()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => AlsHost.Build(["--Als:EndpointTemplates=/ok/{id},api/{id}"]));

        var failure = Assert.Single(ex.Failures);
        Assert.Contains("Als:EndpointTemplates: template 'api/{id}' must start with '/'", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("analyze")]
    [InlineData("reference")]
    public async Task CraftedFlatNode_256LabelsAtOne1MBString_RejectedCountedAndTheEntryKept(string mode)
    {
        // Arrange: the caller's metadata is a FlatNode whose 256 labels all point at one 1 MB string.
        await using var server = await AlsTestServer.StartAsync($"IngestMode={mode}");
        var call = new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details, Encoding = PeerEncoding.None };
        var crafted = Calls.Inbound(call);
        crafted.CommonProperties.FilterStateObjects["wasm.downstream_peer"] = Peers.AsFlatNode(Peers.FlatNodeSharingOneString(Mesh.Productpage, 256, 1024 * 1024));
        var normal = Calls.Inbound(call with { Encoding = PeerEncoding.FlatNode });

        // Act
        using (var client = new AlsClient(server.GrpcAddress))
        {
            await client.SendAsync([Calls.HttpMessage([crafted, normal], Nodes.Sidecar(Mesh.Details))], cancellationToken: Ct);
        }

        var m = await server.ScrapeAsync();

        // Assert: counted by reason; the entry is aggregated with an unknown caller; the accounting holds.
        Assert.Equal(1, m.Get("als_peer_metadata_errors_total{reason=\"too_large\"}"));
        Assert.Equal(2, m.Get("als_entries_received_total"));
        Assert.Equal(1, m.Get("als_entries_analyzed_total"));
        Assert.Equal(1, m.Get("als_entries_unattributed_total"));
        Assert.Equal(m.Get("als_entries_received_total"), m.Get("als_entries_analyzed_total") + m.Get("als_entries_unattributed_total") + m.Sum("als_entries_rejected_total"));
    }

    [Fact]
    public async Task ResponseCodeAbove2Pow31_IsAnErrorInClass0AndCounted()
    {
        // Arrange
        await using var server = await AlsTestServer.StartAsync();
        var call = new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details };
        var sender = new StreamSender();
        sender.Http(Nodes.Sidecar(Mesh.Details), Calls.Inbound(call with { Status = 3_000_000_000u }));
        sender.Http(Nodes.Sidecar(Mesh.Details), Calls.Inbound(call));

        // Act
        using (var client = new AlsClient(server.GrpcAddress))
        {
            await sender.SendAsync(client);
        }

        var m = await server.ScrapeAsync();
        var edge = (await server.GetJsonAsync("/api/v1/topology")).GetProperty("edges")[0];

        // Assert
        Assert.Equal(1, m.Get("als_entries_invalid_status_code_total"));
        Assert.Equal(2, m.Get("als_entries_analyzed_total"));
        Assert.Equal(2, edge.GetProperty("requests").GetInt64());
        Assert.Equal(1, edge.GetProperty("errors").GetInt64());
    }
}
