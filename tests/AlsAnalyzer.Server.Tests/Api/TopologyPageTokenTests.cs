using System.Net;
using System.Text.Json;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Server.Tests.Api;

/// <summary>
/// The topology page against a server with an API token, in a real headless Chromium: the page
/// and its files load without the token, the API's 401 makes the page ask for it, a wrong
/// token is refused with a clear message, and the right one shows the graph.
/// </summary>
public sealed class TopologyPageTokenTests : IAsyncLifetime
{
    private const string Token = "page-token-0123456789";

    private AlsTestServer _server = null!;
    private Chromium _browser = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await AlsTestServer.StartAsync($"ApiToken={Token}");
        using (var client = new AlsClient(_server.GrpcAddress))
        {
            await MeshScenario.Build(DateTimeOffset.UtcNow.AddSeconds(-30)).SendAsync(client);
        }

        _browser = await Chromium.LaunchAsync(cancellationToken: TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Page_WithApiToken_AsksForIt_RefusesAWrongOne_AndShowsTheGraphWithTheRightOne()
    {
        // The page itself needs no token; the API does.
        using (var page = await _server.Http.GetAsync("/", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        using (var topology = await _server.Http.GetAsync("/api/v1/topology", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, topology.StatusCode);
        }

        await _browser.NavigateAsync(_server.HttpAddress + "#window=15m");
        // The page asks for the topology and the services at once, and either 401 opens the
        // form; the status is written when the topology's answer arrives, so wait for both.
        await _browser.WaitForAsync("!document.getElementById('token-form').hidden && document.getElementById('status').classList.contains('error')");
        Assert.Contains("requires an API token", await TextAsync("#token-message"), StringComparison.Ordinal);
        Assert.Equal("The API requires a token.", await TextAsync("#status"));
        Assert.Equal("token-value", (await _browser.EvaluateAsync("document.activeElement.id")).GetString());
        Assert.Equal(0, (await _browser.EvaluateAsync("document.querySelectorAll('#viewport .node').length")).GetInt32());

        // A wrong token: refused, said so, and not kept.
        await _browser.TypeAsync("not-the-token");
        await _browser.PressAsync("Enter", 13, "\r");
        await _browser.WaitForAsync("document.getElementById('token-message').classList.contains('error') && document.getElementById('status').classList.contains('error')");
        Assert.False((await _browser.EvaluateAsync("document.getElementById('token-form').hidden")).GetBoolean());
        Assert.Contains("refused this token", await TextAsync("#token-message"), StringComparison.Ordinal);
        Assert.Equal("The analyzer refused the API token.", await TextAsync("#status"));
        Assert.Equal(JsonValueKind.Null, (await _browser.EvaluateAsync("sessionStorage.getItem('als-api-token')")).ValueKind);

        // The right one: the graph, and the token kept in the tab's session storage only.
        Assert.Equal("token-value", (await _browser.EvaluateAsync("document.activeElement.id")).GetString());
        await _browser.TypeAsync(Token);
        await _browser.PressAsync("Enter", 13, "\r");
        await _browser.WaitForAsync("document.querySelectorAll('#viewport .node').length === 8");
        Assert.True((await _browser.EvaluateAsync("document.getElementById('token-form').hidden")).GetBoolean());
        Assert.Equal(Token, (await _browser.EvaluateAsync("sessionStorage.getItem('als-api-token')")).GetString());
        Assert.Equal(string.Empty, (await _browser.EvaluateAsync("document.getElementById('token-value').value")).GetString());

        // Details and samples go through the same token.
        await _browser.ClickAsync("#viewport .edge-label[data-source=\"default/reviews\"][data-target=\"default/ratings\"] text.figures");
        await _browser.WaitForAsync("document.querySelectorAll('#samples tbody tr').length > 0");

        // Reopened in the same tab: the stored token is used without asking.
        await _browser.NavigateAsync(_server.HttpAddress + "#window=15m");
        await _browser.WaitForAsync("document.querySelectorAll('#viewport .node').length === 8");
        Assert.True((await _browser.EvaluateAsync("document.getElementById('token-form').hidden")).GetBoolean());

        // Never in a URL.
        Assert.Contains(_browser.RequestedUrls, url => url.Contains("/api/v1/samples?", StringComparison.Ordinal));
        Assert.DoesNotContain(_browser.RequestedUrls, url => url.Contains(Token, StringComparison.Ordinal) || url.Contains("not-the-token", StringComparison.Ordinal));
        Assert.DoesNotContain(Token, (await _browser.EvaluateAsync("location.href")).GetString()!, StringComparison.Ordinal);
        Assert.DoesNotContain(_browser.Console, m => !m.Contains("401", StringComparison.Ordinal));
    }

    private async Task<string> TextAsync(string selector) =>
        (await _browser.EvaluateAsync($"document.querySelector('{selector}').textContent")).GetString()!;
}
