using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using static AlsAnalyzer.Server.Tests.Support.MeshScenario;

namespace AlsAnalyzer.Server.Tests.Api;

/// <summary>
/// The topology page in a real headless Chromium, against the real server fed the
/// bookinfo-like mesh through a real gRPC client: everything is asserted from the rendered
/// DOM, clicks and keys go through the browser's input pipeline, and every URL the page
/// requests is recorded. Screenshots go to the test output folder; with
/// <c>ALS_UPDATE_SCREENSHOTS=1</c> the README's screenshot (docs/topology-page.png) is rewritten.
/// </summary>
public sealed partial class TopologyPageTests : IAsyncLifetime
{
    // A service called only 40 minutes ago: in the last hour, not in the last 15 minutes.
    private static readonly Workload Legacy = new("default", "legacy", "v1", "legacy-v1-7f99cc4496-fffff", "10.244.3.30");

    private AlsTestServer _server = null!;
    private Chromium _browser = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await AlsTestServer.StartAsync();
        using var client = new AlsClient(_server.GrpcAddress);
        var now = DateTimeOffset.UtcNow;
        var scenario = Build(now.AddSeconds(-30));
        for (var i = 0; i < 6; i++)
        {
            var call = new HttpCall { Source = Mesh.Productpage, Destination = Legacy, Path = "/legacy/" + i, Start = now.AddMinutes(-40) };
            scenario.Http(Nodes.Sidecar(Mesh.Productpage), Calls.Outbound(call));
            scenario.Http(Nodes.Sidecar(Legacy), Calls.Inbound(call));
        }

        await scenario.SendAsync(client);
        _browser = await Chromium.LaunchAsync(cancellationToken: TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Page_BookinfoMesh_ShowsEveryNodeAndMarksTheFailingEdgeWithItsErrorPercentage()
    {
        await OpenAsync("#window=15m");

        var api = await _server.GetJsonAsync("/api/v1/topology");
        var expected = api.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetString()!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(8, expected.Count);
        Assert.Equal(expected, await NodeIdsAsync());

        // Every node's name is SVG text (readable by tests and screen readers).
        var names = await StringsAsync("[...document.querySelectorAll('#viewport .node text.name')].map(t => t.textContent)");
        Assert.Contains("productpage", names);
        Assert.Contains("api.example.com", names);

        // reviews -> ratings: 5 of 25 calls failed (20 %): failing. productpage -> reviews: 3 of 60 (5 %): degraded.
        var ratings = await EdgeAsync("default/reviews", "default/ratings", "http");
        Assert.Equal("failure", ratings.GetProperty("health").GetString());
        Assert.Contains("20.0% err", ratings.GetProperty("label").GetString(), StringComparison.Ordinal);
        Assert.Contains("failing", ratings.GetProperty("aria").GetString(), StringComparison.Ordinal);
        var reviews = await EdgeAsync("default/productpage", "default/reviews", "http");
        Assert.Equal("degraded", reviews.GetProperty("health").GetString());
        Assert.Contains("5.0% err", reviews.GetProperty("label").GetString(), StringComparison.Ordinal);
        Assert.Matches(@"p95 \d+ ms", reviews.GetProperty("label").GetString());
        var gateway = await EdgeAsync("istio-system/istio-ingressgateway", "default/productpage", "http");
        Assert.Equal("ok", gateway.GetProperty("health").GetString());

        // productpage -> details: 2 of 20 calls got no response (UF). The server never saw them
        // (its 18 all succeeded), so the edge's health and error percentage are the client side's,
        // and its accessible label and the list say so.
        var details = await EdgeAsync("default/productpage", "default/details", "http");
        Assert.Equal("failure", details.GetProperty("health").GetString());
        Assert.Matches(@"^✖ [\d.]+ rps · 10\.0% err · p95 ", details.GetProperty("label").GetString());
        Assert.Contains("10.0% err (client side)", details.GetProperty("aria").GetString(), StringComparison.Ordinal);
        var detailsNode = await _browser.EvaluateAsync("document.querySelector('#viewport .node[data-id=\"default/details\"]').getAttribute('aria-label')");
        Assert.EndsWith("10.0% errors as its callers saw them, failing", detailsNode.GetString(), StringComparison.Ordinal);

        // TCP edges are drawn apart, with connections and bytes.
        var mysql = await EdgeAsync("default/productpage", "data/mysql", "tcp");
        Assert.Contains("proto-tcp", mysql.GetProperty("class").GetString(), StringComparison.Ordinal);
        var kilobytes = MysqlConnections * (MysqlSentPerConnection + MysqlReceivedPerConnection) / 1000.0;
        Assert.StartsWith($"{MysqlConnections} conn · {kilobytes.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)} kB", mysql.GetProperty("label").GetString(), StringComparison.Ordinal);

        // The accessible list beside the graph has every edge with its figures.
        var rows = await StringsAsync("[...document.querySelectorAll('#edge-list tbody tr')].map(r => r.textContent)");
        Assert.Equal(api.GetProperty("edges").GetArrayLength(), rows.Count);
        Assert.Contains(rows, r => r.Contains("default/ratings", StringComparison.Ordinal) && r.Contains("20.0%", StringComparison.Ordinal) && r.Contains("failing", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.Contains("default/details", StringComparison.Ordinal) && r.Contains("10.0% (client side)", StringComparison.Ordinal) && r.Contains("failing", StringComparison.Ordinal));

        await SaveScreenshotAsync("topology-page.png", readme: true);
        Assert.Empty(_browser.Console);
    }

    [Fact]
    public async Task Page_NamespaceFilter_ShowsThatNamespaceAndItsNeighboursAndBookmarksIt()
    {
        await OpenAsync("#window=15m");

        await _browser.EvaluateAsync("(() => { const s = document.getElementById('namespace'); s.value = 'data'; s.dispatchEvent(new Event('change')); })()");
        await _browser.WaitForAsync("document.querySelectorAll('#viewport .node').length === 2");

        Assert.Equal(["data/mysql", "default/productpage"], await NodeIdsAsync());
        var hash = (await _browser.EvaluateAsync("location.hash")).GetString()!;
        Assert.Contains("namespace=data", hash, StringComparison.Ordinal);

        // The bookmarked URL opens the same view.
        await OpenAsync(hash);
        Assert.Equal(["data/mysql", "default/productpage"], await NodeIdsAsync());
        Assert.Equal("data", (await _browser.EvaluateAsync("document.getElementById('namespace').value")).GetString());
    }

    [Fact]
    public async Task Page_TimeWindow_5m15m1hAndCustom_ShowTheCallsOfTheirRange()
    {
        await OpenAsync("#window=15m");
        Assert.DoesNotContain("default/legacy", await NodeIdsAsync());

        await _browser.EvaluateAsync("(() => { const s = document.getElementById('window'); s.value = '1h'; s.dispatchEvent(new Event('change')); })()");
        await _browser.WaitForAsync("[...document.querySelectorAll('#viewport .node')].some(n => n.dataset.id === 'default/legacy')");

        var legacy = await EdgeAsync("default/productpage", "default/legacy", "http");
        Assert.Equal("ok", legacy.GetProperty("health").GetString());
        Assert.Contains("window=1h", (await _browser.EvaluateAsync("location.hash")).GetString(), StringComparison.Ordinal);

        // The last 5 minutes: the mesh's calls of 30 s ago, without the older ones, and the API asked for 5 minutes.
        await _browser.EvaluateAsync("(() => { const s = document.getElementById('window'); s.value = '5m'; s.dispatchEvent(new Event('change')); })()");
        await _browser.WaitForAsync("![...document.querySelectorAll('#viewport .node')].some(n => n.dataset.id === 'default/legacy') && /nodes, .* edges/.test(document.getElementById('status').textContent)");
        Assert.Contains("default/ratings", await NodeIdsAsync());
        var query = System.Web.HttpUtility.ParseQueryString(new Uri(_browser.RequestedUrls.Last(u => u.Contains("/api/v1/topology?", StringComparison.Ordinal))).Query);
        Assert.Equal(TimeSpan.FromMinutes(5), DateTimeOffset.Parse(query["to"]!, System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.Parse(query["from"]!, System.Globalization.CultureInfo.InvariantCulture));

        // A custom window that ends before the older calls shows nothing.
        var from = DateTimeOffset.UtcNow.AddHours(-3).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var to = DateTimeOffset.UtcNow.AddHours(-2).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        await OpenAsync($"#window=custom&from={from}&to={to}");
        Assert.Empty(await NodeIdsAsync());
        Assert.Equal("custom", (await _browser.EvaluateAsync("document.getElementById('window').value")).GetString());
    }

    [Fact]
    public async Task Page_ClickingTheFailingEdge_ShowsBothSidesAndItsFailingCalls()
    {
        await OpenAsync("#window=15m");

        await _browser.ClickAsync(EdgeSelector("default/reviews", "default/ratings", "http", "edge-label") + " text.figures");
        await _browser.WaitForAsync("document.querySelectorAll('#samples tbody tr').length > 0");

        Assert.Equal("default/reviews → default/ratings", (await _browser.EvaluateAsync("document.querySelector('#details h2').textContent")).GetString());
        var sides = await StringsAsync("[...document.querySelectorAll('#sides tbody tr')].map(r => r.textContent)");
        Assert.Contains(sides, r => r.StartsWith("requests", StringComparison.Ordinal) && r.Contains($"{RatingsCalls}{RatingsCalls}", StringComparison.Ordinal));
        Assert.Contains(sides, r => r.StartsWith("status classes", StringComparison.Ordinal) && r.Contains($"5xx: {Ratings5xx}", StringComparison.Ordinal));

        var samples = await _browser.EvaluateAsync("""
            [...document.querySelectorAll('#samples tbody tr')].map(r => [...r.cells].map(c => c.textContent))
            """);
        var failing = samples.EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetString()!).ToArray()).Where(r => r[1].Contains("failing", StringComparison.Ordinal)).ToList();

        // Five failing calls, each reported by both sides.
        Assert.Equal(Ratings5xx * 2, failing.Count);
        Assert.All(failing, r =>
        {
            Assert.Equal("GET /ratings/{id}", r[3]);
            Assert.Equal("500", r[4]);
            Assert.True(Guid.TryParse(r[10], out _), r[10]);
        });
        Assert.Contains("edge=default%2Freviews%7Cdefault%2Fratings%7Chttp", (await _browser.EvaluateAsync("location.hash")).GetString(), StringComparison.Ordinal);
        await SaveScreenshotAsync("topology-page-edge.png");
    }

    [Fact]
    public async Task Page_ClickingAnEdgeWithConnectionFailures_ShowsItsFlagsAndEveryFieldOfItsSamples()
    {
        await OpenAsync("#window=15m");

        await _browser.ClickAsync(EdgeSelector("default/productpage", "default/details", "http", "edge-label") + " text.figures");
        await _browser.WaitForAsync("document.querySelectorAll('#samples tbody tr').length > 0");

        // Client side vs server side: only the caller saw the failed connections, with their flag.
        var sides = await _browser.EvaluateAsync("""
            Object.fromEntries([...document.querySelectorAll('#sides tbody tr')].map(r => [r.cells[0].textContent, [r.cells[1].textContent, r.cells[2].textContent]]))
            """);
        Assert.Equal($"{DetailsCalls}", sides.GetProperty("requests")[0].GetString());
        Assert.Equal($"{DetailsCalls - DetailsNoResponse}", sides.GetProperty("requests")[1].GetString());
        Assert.Equal($"UF: {DetailsNoResponse}", sides.GetProperty("response flags")[0].GetString());
        Assert.Contains($"no response: {DetailsNoResponse}", sides.GetProperty("status classes")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal("0%", sides.GetProperty("error %")[1].GetString());
        Assert.Equal("10.0%", sides.GetProperty("error %")[0].GetString());
        var summary = await StringsAsync("[...document.querySelectorAll('#details dl dd')].map(d => d.textContent)");
        Assert.Contains("failing", summary);

        // Every field of a kept failing call is in the table: time, kind, side, request, status,
        // gRPC status, flags, details, latency, upstream host, request id.
        var headers = await StringsAsync("[...document.querySelectorAll('#samples thead th')].map(c => c.textContent)");
        Assert.Equal(["time", "kind", "side", "request", "status", "gRPC", "flags", "details", "latency", "upstream host", "request id"], headers);
        var samples = await _browser.EvaluateAsync("""
            [...document.querySelectorAll('#samples tbody tr')].map(r => [...r.cells].map(c => c.textContent))
            """);
        var failed = samples.EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetString()!).ToArray()).Where(r => r[4] == "no response").ToList();
        Assert.Equal(DetailsNoResponse, failed.Count);
        Assert.All(failed, r =>
        {
            Assert.Matches(@"^\d{2}:\d{2}:\d{2}$", r[0]);
            Assert.Contains("failing", r[1], StringComparison.Ordinal);
            Assert.Equal("client", r[2]);
            Assert.StartsWith("GET /details/", r[3], StringComparison.Ordinal);
            Assert.Equal("–", r[5]);
            Assert.Equal("UF", r[6]);
            Assert.Equal("upstream_reset_before_response_started", r[7]);
            Assert.Equal("10 ms", r[8]);
            Assert.Equal($"{Mesh.Details.Ip}:9080", r[9]);
            Assert.True(Guid.TryParse(r[10], out _), r[10]);
        });
    }

    [Fact]
    public async Task Page_Keyboard_TabToANodeAndEnterOpensItsInstancesAndEndpoints()
    {
        await OpenAsync("#window=15m");

        await _browser.EvaluateAsync("document.querySelector('#viewport .node[data-id=\"default/reviews\"]').focus()");
        await _browser.PressAsync("Enter", 13, "\r");
        await _browser.WaitForAsync("document.querySelector('#instances') !== null");

        Assert.Equal("default/reviews", (await _browser.EvaluateAsync("document.querySelector('#details h2').textContent")).GetString());
        var instances = await StringsAsync("[...document.querySelectorAll('#instances tbody tr td:first-child')].map(c => c.textContent)");
        Assert.Equal(["reviews-v1-7f99cc4496-aaaaa", "reviews-v2-7f99cc4496-bbbbb"], instances.Order(StringComparer.Ordinal));
        var endpoints = await StringsAsync("[...document.querySelectorAll('#endpoints tbody tr td:first-child')].map(c => c.textContent)");
        Assert.Contains("GET /reviews/{id}", endpoints);
        var inbound = await StringsAsync("[...document.querySelectorAll('#inbound tbody tr')].map(r => r.textContent)");
        Assert.Equal(2, inbound.Count);
        var outbound = await StringsAsync("[...document.querySelectorAll('#outbound tbody tr td:first-child')].map(c => c.textContent)");
        Assert.Equal(["default/ratings"], outbound);
        Assert.Contains("20.0%", await StringsAsync("[...document.querySelectorAll('#outbound tbody tr td')].map(c => c.textContent)"));

        // Escape closes the selection; Tab moves focus from graph item to graph item.
        await _browser.PressAsync("Escape", 27);
        await _browser.WaitForAsync("document.querySelector('#details .empty') !== null");
        await _browser.EvaluateAsync("document.querySelector('#viewport .edge').focus()");
        await _browser.PressAsync("Tab", 9);
        var focused = (await _browser.EvaluateAsync("document.activeElement.getAttribute('role') + ' ' + (document.activeElement.getAttribute('aria-label') || '')")).GetString()!;
        Assert.StartsWith("button ", focused, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Page_NoRequestLeavesTheServer_AndThePolicyForbidsOtherOrigins()
    {
        await OpenAsync("#window=15m");
        await _browser.ClickAsync(EdgeSelector("default/productpage", "default/reviews", "http", "edge-label") + " text.figures");
        await _browser.WaitForAsync("document.querySelectorAll('#samples tbody tr').length > 0");

        var origin = _server.HttpAddress.GetLeftPart(UriPartial.Authority);
        Assert.NotEmpty(_browser.RequestedUrls);
        Assert.All(_browser.RequestedUrls, url => Assert.StartsWith(origin + "/", url, StringComparison.Ordinal));
        Assert.Contains(_browser.RequestedUrls, url => url.Contains("/api/v1/samples?", StringComparison.Ordinal));

        using var page = await _server.Http.GetAsync("/", TestContext.Current.CancellationToken);
        var policy = string.Join(' ', page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("http", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", policy, StringComparison.Ordinal);

        // No absolute URL in any served file, but the SVG namespace (an identifier, never fetched).
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        foreach (var asset in AssetLinks().Matches(html).Select(m => m.Groups[1].Value).Prepend("/"))
        {
            var text = await _server.Http.GetStringAsync(asset.StartsWith('/') ? asset : "/" + asset, TestContext.Current.CancellationToken);
            var absolute = AbsoluteUrl().Matches(text).Select(m => m.Value).Where(u => u != "http://www.w3.org/2000/svg").ToList();
            Assert.Empty(absolute);
        }
    }

    [Fact]
    public async Task Page_Assets_AreVersionedAndCachedAndThePageRevalidates()
    {
        using var page = await _server.Http.GetAsync("/", TestContext.Current.CancellationToken);
        Assert.Equal("no-cache", page.Headers.CacheControl!.ToString());
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var script = Assert.Single(AssetLinks().Matches(html), m => m.Groups[1].Value.StartsWith("ui/app.js?v=", StringComparison.Ordinal)).Groups[1].Value;

        using var asset = await _server.Http.GetAsync("/" + script, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        Assert.Equal("text/javascript", asset.Content.Headers.ContentType!.MediaType);
        Assert.Contains("immutable", asset.Headers.CacheControl!.ToString(), StringComparison.Ordinal);

        using var revalidate = new HttpRequestMessage(HttpMethod.Get, "/");
        revalidate.Headers.TryAddWithoutValidation("If-None-Match", page.Headers.ETag!.ToString());
        using var notModified = await _server.Http.SendAsync(revalidate, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        using var missing = await _server.Http.GetAsync("/ui/nothing.js", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [GeneratedRegex("(?:src|href)=\"([^\"]+)\"")]
    private static partial Regex AssetLinks();

    [GeneratedRegex("(?:https?:)?//[A-Za-z0-9.-]+\\.[A-Za-z]{2,}[^\\s\"'`)]*")]
    private static partial Regex AbsoluteUrl();

    private static string EdgeSelector(string source, string target, string protocol, string part = "edge") =>
        $"#viewport .{part}[data-source=\"{source}\"][data-target=\"{target}\"][data-protocol=\"{protocol}\"]";

    private Task OpenAsync(string hash) => _browser.OpenTopologyAsync(_server.HttpAddress + hash);

    private Task<List<string>> NodeIdsAsync() => _browser.NodeIdsAsync();

    private Task<List<string>> StringsAsync(string expression) => _browser.StringsAsync(expression);

    private async Task<JsonElement> EdgeAsync(string source, string target, string protocol)
    {
        var edge = await _browser.EvaluateAsync($$"""
            (() => {
              const e = document.querySelector({{JsonSerializer.Serialize(EdgeSelector(source, target, protocol))}});
              return e && { health: e.dataset.health, class: e.getAttribute('class'), label: e.querySelector('text.figures').textContent + ' · ' + e.querySelector('text.proto').textContent, aria: e.getAttribute('aria-label') };
            })()
            """);
        Assert.True(edge.ValueKind == JsonValueKind.Object, $"no edge {source} -> {target} {protocol} on the page");
        return edge;
    }

    private async Task SaveScreenshotAsync(string name, bool readme = false)
    {
        var png = await _browser.ScreenshotAsync();
        Assert.True(png.Length > 10_000 && png[1] == (byte)'P' && png[2] == (byte)'N' && png[3] == (byte)'G');
        await File.WriteAllBytesAsync(Path.Combine(AppContext.BaseDirectory, name), png, TestContext.Current.CancellationToken);
        if (readme && Environment.GetEnvironmentVariable("ALS_UPDATE_SCREENSHOTS") == "1")
        {
            await File.WriteAllBytesAsync(Path.Combine(Repository.Root, "docs", name), png, TestContext.Current.CancellationToken);
        }
    }
}
