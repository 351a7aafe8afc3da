using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Server.Tests.Security;

/// <summary>Credentials in authorities and paths never reach an API answer or /metrics.</summary>
public sealed class RedactionTests
{
    private const string Jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXNlY3JldA";

    private static readonly string[] Secrets = ["SECRET", "admin:", Jwt, "eyJ", "jsessionid", "SESSIONSECRET", "AKIAIOSFODNN7EXAMPLE"];

    [Theory]
    [InlineData("analyze")]
    [InlineData("reference")]
    public async Task Api_CredentialsInAuthoritiesAndPaths_AppearNowhere(string mode)
    {
        await using var server = await AlsTestServer.StartAsync($"IngestMode={mode}");
        var start = DateTimeOffset.UtcNow.AddSeconds(-20);
        var sender = new StreamSender();
        var productpage = Nodes.Sidecar(Mesh.Productpage);
        foreach (var path in new[] { "/details/1;jsessionid=SESSIONSECRET", "/auth/" + Jwt + "/me", "/keys/AKIAIOSFODNN7EXAMPLE0123456789abcd?x=1" })
        {
            var call = new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details, Path = path, Start = start };
            sender.Http(productpage, Calls.Outbound(call));
            sender.Http(Nodes.Sidecar(Mesh.Details), Calls.Inbound(call));
        }

        var external = Calls.Outbound(new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details, Path = "/v1/db", Start = start });
        external.CommonProperties.UpstreamCluster = "PassthroughCluster";
        external.CommonProperties.FilterStateObjects.Clear();
        external.CommonProperties.UpstreamRemoteAddress = Calls.Socket("198.51.100.30", 5432);
        external.Request.Authority = "admin:SECRET@db.example.com:5432";
        sender.Http(productpage, external);
        using (var client = new AlsClient(server.GrpcAddress))
        {
            await sender.SendAsync(client);
        }

        var answers = new List<string>();
        foreach (var path in new[] { "/api/v1/topology", "/api/v1/services", "/api/v1/services/default/details", "/api/v1/services/default/productpage", "/api/v1/proxies", "/metrics" })
        {
            answers.Add(await server.Http.GetStringAsync(new Uri(path, UriKind.Relative), TestContext.Current.CancellationToken));
        }

        var all = string.Join('\n', answers);
        Assert.Contains("external:db.example.com", all, StringComparison.Ordinal);
        Assert.Contains("/details/{id}", all, StringComparison.Ordinal);
        Assert.Contains("/auth/{redacted}/me", all, StringComparison.Ordinal);
        Assert.Contains("/keys/{redacted}", all, StringComparison.Ordinal);
        foreach (var secret in Secrets)
        {
            Assert.DoesNotContain(secret, all, StringComparison.Ordinal);
        }
    }
}
