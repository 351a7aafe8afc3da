using System.Net;
using System.Net.Http.Headers;
using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Server.Tests.Security;

/// <summary>The HTTP API over HTTPS with a bearer token, and each port serving only its own routes.</summary>
public sealed class ApiAccessTests : IAsyncLifetime
{
    private const string Token = "s3cret-token-for-tests";
    private TestCertificates _certificates = null!;

    public async ValueTask InitializeAsync() =>
        _certificates = await TestCertificates.CreateAsync(TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync()
    {
        _certificates.Dispose();
        return ValueTask.CompletedTask;
    }

    [Theory]
    [InlineData("/api/v1/topology")]
    [InlineData("/api/v1/services")]
    [InlineData("/api/v1/proxies")]
    [InlineData("/metrics")]
    public async Task Api_OverHttpsWithToken_RefusesMissingOrWrongTokenAndAcceptsTheRightOne(string path)
    {
        await using var server = await AlsTestServer.StartWithHandlerAsync(_certificates.Handler(), [.. _certificates.Settings(requireClientCertificates: false), $"ApiToken={Token}"]);

        Assert.Equal(HttpStatusCode.Unauthorized, await Status(server, path, null));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(server, path, "wrong"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(server, path, Token + "x"));
        Assert.Equal(HttpStatusCode.OK, await Status(server, path, Token));
        Assert.Equal(HttpStatusCode.OK, await Status(server, "/healthz", null));
        Assert.Equal(HttpStatusCode.OK, await Status(server, "/readyz", null));
        Assert.Equal("https", server.HttpAddress.Scheme);
    }

    [Fact]
    public async Task Api_TokenFromFile_IsRequiredAndCounted()
    {
        var file = Path.Combine(_certificates.Directory, "token");
        await File.WriteAllTextAsync(file, Token + "\n", TestContext.Current.CancellationToken);
        await using var server = await AlsTestServer.StartAsync($"ApiTokenPath={file}");

        Assert.Equal(HttpStatusCode.Unauthorized, await Status(server, "/metrics", null));
        Assert.Equal(HttpStatusCode.OK, await Status(server, "/metrics", Token));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await server.Http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(1, PrometheusText.Parse(text)["als_api_unauthorized_total"]);
    }

    [Fact]
    public async Task Api_TokenFileRewritten_NewTokenReplacesTheOld()
    {
        var ct = TestContext.Current.CancellationToken;
        var file = Path.Combine(_certificates.Directory, "token");
        await File.WriteAllTextAsync(file, "old-token", ct);
        await using var server = await AlsTestServer.StartAsync($"ApiTokenPath={file}", "SecretsReloadIntervalSeconds=1");
        Assert.Equal(HttpStatusCode.OK, await Status(server, "/api/v1/services", "old-token"));

        await File.WriteAllTextAsync(file, "new-token", ct);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await Status(server, "/api/v1/services", "new-token") != HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, ct);
        }

        Assert.Equal(HttpStatusCode.OK, await Status(server, "/api/v1/services", "new-token"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(server, "/api/v1/services", "old-token"));
    }

    [Theory]
    [InlineData("/api/v1/topology")]
    [InlineData("/metrics")]
    [InlineData("/healthz")]
    public async Task IngestPort_HttpRoutes_AreNotServed(string path)
    {
        await using var server = await AlsTestServer.StartAsync();
        using var h2c = new HttpClient
        {
            BaseAddress = server.GrpcAddress,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await h2c.GetAsync(new Uri(path, UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await Status(server, path, null));
    }

    [Fact]
    public async Task HttpPort_GrpcMethods_AreNotServed()
    {
        await using var server = await AlsTestServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/grpc.health.v1.Health/Check")
        {
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");

        using var response = await server.Http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static async Task<HttpStatusCode> Status(AlsTestServer server, string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await server.Http.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }
}
