using System.Globalization;
using System.Text.Json;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using Envoy.Config.Core.V3;
using Envoy.Data.Accesslog.V3;

namespace AlsAnalyzer.Server.Tests.Api;

/// <summary>
/// The topology page's health colouring at Kiali's thresholds and its controls (hide idle,
/// refresh, the bookmarked view, truncation), in a real headless Chromium against the real
/// server fed through a real gRPC client. One caller, <c>default/frontend</c>, calls a service
/// per case whose share of errors sits on either side of a threshold.
/// </summary>
public sealed class TopologyPageControlsTests : IAsyncLifetime
{
    private static readonly Workload Frontend = new("default", "frontend", "v1", "frontend-v1-6d5f7c9b8-aaaaa", "10.244.5.10");

    /// <summary>A service with no call in the window: its only record is a TCP connection's periodic report without a byte.</summary>
    private static readonly Workload Cache = new("default", "cache", "v1", "cache-v1-6d5f7c9b8-ccccc", "10.244.5.99");

    /// <summary>
    /// Each case: calls, of which 5xx, 4xx and non-zero gRPC statuses, and the health the page
    /// must show. HTTP 5xx and gRPC errors: degraded above 0.1 %, failing from 10 %; 4xx:
    /// degraded from 10 %, failing from 20 %.
    /// </summary>
    private static readonly (string App, int Calls, int Server, int Client, int Grpc, string Health)[] Cases =
    [
        ("five-at-degraded", 1000, 1, 0, 0, "ok"),           // 0.1 %: not above
        ("five-above-degraded", 1000, 2, 0, 0, "degraded"),  // 0.2 %
        ("five-below-failure", 1000, 99, 0, 0, "degraded"),  // 9.9 %
        ("five-at-failure", 10, 1, 0, 0, "failure"),         // 10 %
        ("four-below-degraded", 100, 0, 9, 0, "ok"),         // 9 %
        ("four-at-degraded", 10, 0, 1, 0, "degraded"),       // 10 %
        ("four-below-failure", 100, 0, 19, 0, "degraded"),   // 19 %
        ("four-at-failure", 5, 0, 1, 0, "failure"),          // 20 %
        ("grpc-at-degraded", 1000, 0, 0, 1, "ok"),           // 0.1 %
        ("grpc-above-degraded", 1000, 0, 0, 2, "degraded"),  // 0.2 %
        ("grpc-at-failure", 10, 0, 0, 1, "failure"),         // 10 %
    ];

    private AlsTestServer _server = null!;
    private Chromium _browser = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await AlsTestServer.StartAsync();
        var start = DateTimeOffset.UtcNow.AddSeconds(-30);
        var scenario = new StreamSender();
        var caller = Nodes.Sidecar(Frontend);
        foreach (var (target, @case) in Cases.Select((c, i) => (Target(c.App, i), c)))
        {
            var grpc = @case.App.StartsWith("grpc", StringComparison.Ordinal);
            for (var i = 0; i < @case.Calls; i++)
            {
                var status = i < @case.Server ? 503u : i < @case.Server + @case.Client ? 404u : 200u;
                var call = new HttpCall { Source = Frontend, Destination = target, Path = "/api/" + i, Status = status, Grpc = grpc, Method = grpc ? RequestMethod.Post : RequestMethod.Get, Start = start };
                var entry = Calls.Outbound(call);
                if (grpc)
                {
                    // gRPC answers HTTP 200 and puts its status in the trailers.
                    entry.Response.ResponseTrailers["grpc-status"] = i < @case.Grpc ? "14" : "0";
                }

                scenario.Http(caller, entry);
            }
        }

        scenario.Tcp(caller, Calls.TcpOutbound(new TcpCall { Source = Frontend, Destination = Cache, Type = AccessLogType.TcpPeriodic, SentBytes = 0, ReceivedBytes = 0, Start = start }));
        using (var client = new AlsClient(_server.GrpcAddress))
        {
            await scenario.SendAsync(client, batch: 100);
        }

        _browser = await Chromium.LaunchAsync(cancellationToken: TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Page_Health_FollowsKialisThresholdsForHttp5xx4xxAndGrpc_OnEdgesNodesAndTheList()
    {
        await OpenAsync("#window=15m");

        var edges = await _browser.EvaluateAsync("""
            Object.fromEntries([...document.querySelectorAll('#viewport .edge')].map(e => [e.dataset.target, e.dataset.health]))
            """);
        var nodes = await _browser.EvaluateAsync("""
            Object.fromEntries([...document.querySelectorAll('#viewport .node')].map(n => [n.dataset.id, n.dataset.health]))
            """);
        var rows = await _browser.EvaluateAsync("""
            Object.fromEntries([...document.querySelectorAll('#edge-list tbody tr')].map(r => [r.dataset.edge.split('|')[1], r.cells[r.cells.length - 1].textContent]))
            """);
        var words = new Dictionary<string, string> { ["ok"] = "healthy", ["degraded"] = "degraded", ["failure"] = "failing" };
        Assert.All(Cases, c =>
        {
            var id = "default/" + c.App;
            Assert.True(edges.TryGetProperty(id, out var health), $"no edge to {id}");
            Assert.Equal((id, c.Health), (id, health.GetString()));

            // A node takes the worst health of its inbound traffic: here its only edge.
            Assert.Equal((id, c.Health), (id, nodes.GetProperty(id).GetString()));
            Assert.Equal((id, words[c.Health]), (id, rows.GetProperty(id).GetString()));
        });

        // The gRPC edges are drawn as gRPC, and their figures carry the error percentage.
        var grpc = await _browser.EvaluateAsync("""
            (() => { const e = document.querySelector('#viewport .edge[data-target="default/grpc-at-failure"]'); return e.dataset.protocol + ' ' + e.querySelector('text.figures').textContent; })()
            """);
        Assert.StartsWith("grpc ✖ ", grpc.GetString(), StringComparison.Ordinal);
        Assert.EndsWith(" rps · 10.0% err", grpc.GetString(), StringComparison.Ordinal);
        Assert.Empty(_browser.Console);
    }

    [Fact]
    public async Task Page_HideIdle_HidesTheEdgesWithoutTrafficAndTheirNodes_AndBookmarksIt()
    {
        // The API has the idle edge: a connection reported open, without a byte, and none closed.
        var api = await _server.GetJsonAsync("/api/v1/topology");
        var idle = Assert.Single(api.GetProperty("edges").EnumerateArray(), e => e.GetProperty("target").GetString() == "default/cache");
        Assert.Equal(0, idle.GetProperty("connections").GetInt64());

        await OpenAsync("#window=15m");
        Assert.Contains("default/cache", await NodeIdsAsync());
        Assert.Equal("idle", (await _browser.EvaluateAsync("document.querySelector('#viewport .edge[data-target=\"default/cache\"]').dataset.health")).GetString());
        var shown = (await NodeIdsAsync()).Count;

        await _browser.ClickAsync("#hide-idle");
        await _browser.WaitForAsync("!document.querySelector('#viewport .node[data-id=\"default/cache\"]')");

        Assert.Equal(shown - 1, (await NodeIdsAsync()).Count);
        Assert.Null(await TextAsync("document.querySelector('#viewport .edge[data-target=\"default/cache\"]')?.dataset.target ?? null"));
        Assert.DoesNotContain(await StringsAsync("[...document.querySelectorAll('#edge-list tbody tr')].map(r => r.dataset.edge)"), e => e.Contains("default/cache", StringComparison.Ordinal));
        var hash = (await TextAsync("location.hash"))!;
        Assert.Contains("hideIdle=1", hash, StringComparison.Ordinal);

        // The bookmark opens with the box ticked and the idle node hidden; unticking shows it again.
        await OpenAsync(hash);
        Assert.True((await _browser.EvaluateAsync("document.getElementById('hide-idle').checked")).GetBoolean());
        Assert.DoesNotContain("default/cache", await NodeIdsAsync());
        await _browser.ClickAsync("#hide-idle");
        await _browser.WaitForAsync("!!document.querySelector('#viewport .node[data-id=\"default/cache\"]')");
        Assert.DoesNotContain("hideIdle", (await TextAsync("location.hash"))!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Page_RefreshInterval_ReloadsTheGraphAndShowsNewTraffic()
    {
        await OpenAsync("#window=15m");
        await _browser.EvaluateAsync("(() => { const s = document.getElementById('refresh'); s.value = '10'; s.dispatchEvent(new Event('change')); })()");
        Assert.Contains("refresh=10", (await TextAsync("location.hash"))!, StringComparison.Ordinal);
        Assert.DoesNotContain("default/late", await NodeIdsAsync());
        var loads = TopologyLoads();

        // New traffic after the page loaded appears without navigating or pressing a button.
        var late = new Workload("default", "late", "v1", "late-v1-6d5f7c9b8-lllll", "10.244.5.50");
        using (var client = new AlsClient(_server.GrpcAddress))
        {
            var call = new HttpCall { Source = Frontend, Destination = late, Path = "/late", Start = DateTimeOffset.UtcNow.AddSeconds(-1) };
            await client.SendAsync([Calls.HttpMessage([Calls.Outbound(call)], Nodes.Sidecar(Frontend))], cancellationToken: TestContext.Current.CancellationToken);
        }

        await _browser.WaitForAsync("!!document.querySelector('#viewport .node[data-id=\"default/late\"]')", TimeSpan.FromSeconds(30));
        Assert.True(TopologyLoads() > loads);

        // Turned off, the page stops asking.
        await _browser.EvaluateAsync("(() => { const s = document.getElementById('refresh'); s.value = '0'; s.dispatchEvent(new Event('change')); })()");
        Assert.DoesNotContain("refresh=", (await TextAsync("location.hash"))!, StringComparison.Ordinal);
        loads = TopologyLoads();
        await Task.Delay(TimeSpan.FromSeconds(12), TestContext.Current.CancellationToken);
        Assert.Equal(loads, TopologyLoads());
    }

    [Fact]
    public async Task Page_BookmarkedView_RestoresEveryControlAndTheSelection()
    {
        var edge = Uri.EscapeDataString("default/frontend|default/five-at-failure|http");
        await OpenAsync($"#window=1h&hideIdle=1&refresh=30&latency=p99&edge={edge}");
        await _browser.WaitForAsync("document.querySelector('#details h2')?.textContent === 'default/frontend → default/five-at-failure'");

        var controls = await _browser.EvaluateAsync("""
            ({
              window: document.getElementById('window').value,
              hideIdle: document.getElementById('hide-idle').checked,
              refresh: document.getElementById('refresh').value,
              latency: document.getElementById('percentile').value,
              selected: document.querySelector('#viewport .edge.selected')?.dataset.target ?? null,
              label: document.querySelector('#viewport .edge[data-target="default/five-at-failure"] text.proto').textContent,
            })
            """);
        Assert.Equal("1h", controls.GetProperty("window").GetString());
        Assert.True(controls.GetProperty("hideIdle").GetBoolean());
        Assert.Equal("30", controls.GetProperty("refresh").GetString());
        Assert.Equal("p99", controls.GetProperty("latency").GetString());
        Assert.Equal("default/five-at-failure", controls.GetProperty("selected").GetString());
        Assert.StartsWith("p99 ", controls.GetProperty("label").GetString(), StringComparison.Ordinal);
        Assert.Contains(await StringsAsync("[...document.querySelectorAll('#sides tbody tr')].map(r => r.textContent)"), r => r.StartsWith("status classes", StringComparison.Ordinal) && r.Contains("5xx: 1", StringComparison.Ordinal));

        // A selected node too; a refresh interval the control does not offer is not taken.
        await OpenAsync("#window=15m&refresh=1&node=default%2Ffour-at-failure");
        await _browser.WaitForAsync("document.querySelector('#details h2')?.textContent === 'default/four-at-failure'");
        Assert.Equal("0", await TextAsync("document.getElementById('refresh').value"));
        Assert.DoesNotContain("refresh=", (await TextAsync("location.hash"))!, StringComparison.Ordinal);
        Assert.Equal("default/four-at-failure", await TextAsync("document.querySelector('#viewport .node.selected').dataset.id"));
    }

    [Fact]
    public async Task Page_CustomWindowFromTheControls_AsksForThatRangeAndBookmarksIt()
    {
        await OpenAsync("#window=15m");
        await _browser.EvaluateAsync("(() => { const s = document.getElementById('window'); s.value = 'custom'; s.dispatchEvent(new Event('change')); })()");
        Assert.False((await _browser.EvaluateAsync("document.getElementById('custom-range').hidden")).GetBoolean());

        // A range two hours ago, before any traffic, typed in the page's local time.
        var from = DateTime.Now.AddHours(-3);
        var to = DateTime.Now.AddHours(-2);
        await _browser.EvaluateAsync($$"""
            (() => {
              const f = document.getElementById('from'); f.value = {{JsonSerializer.Serialize(Local(from))}}; f.dispatchEvent(new Event('change'));
              const t = document.getElementById('to'); t.value = {{JsonSerializer.Serialize(Local(to))}}; t.dispatchEvent(new Event('change'));
            })()
            """);
        await _browser.WaitForAsync("document.querySelectorAll('#viewport .node').length === 0 && /nodes, .* edges/.test(document.getElementById('status').textContent)");

        var hash = Uri.UnescapeDataString((await TextAsync("location.hash"))!);
        Assert.Contains("window=custom", hash, StringComparison.Ordinal);
        var fromUtc = new DateTimeOffset(from.Year, from.Month, from.Day, from.Hour, from.Minute, 0, TimeZoneInfo.Local.GetUtcOffset(from)).ToUniversalTime();
        Assert.Contains("from=" + fromUtc.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture), hash, StringComparison.Ordinal);
        var query = _browser.RequestedUrls.Last(u => u.Contains("/api/v1/topology?", StringComparison.Ordinal));
        Assert.Contains("from=" + Uri.EscapeDataString(fromUtc.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)), query, StringComparison.Ordinal);

        // "from" after "to" is refused with a message, and the view stays as it was.
        await _browser.EvaluateAsync($$"""
            (() => { const f = document.getElementById('from'); f.value = {{JsonSerializer.Serialize(Local(to.AddHours(1)))}}; f.dispatchEvent(new Event('change')); })()
            """);
        Assert.Equal("Custom window: \"from\" must be before \"to\".", await TextAsync("document.getElementById('status').textContent"));
        Assert.Equal(hash, Uri.UnescapeDataString((await TextAsync("location.hash"))!));
    }

    [Fact]
    public async Task Page_TruncatedAnswer_ShowsTheBusiestNodesAndSaysWhatWasLeftOut()
    {
        await OpenAsync("#window=15m");
        Assert.True((await _browser.EvaluateAsync("document.getElementById('truncated').hidden")).GetBoolean());

        await using var limited = await AlsTestServer.StartAsync("DefaultQueryLimit=4");
        using (var client = new AlsClient(limited.GrpcAddress))
        {
            var scenario = new StreamSender();
            for (var i = 0; i < 6; i++)
            {
                var target = Target("busy-" + i, i);
                for (var k = 0; k <= i; k++)
                {
                    scenario.Http(Nodes.Sidecar(Frontend), Calls.Outbound(new HttpCall { Source = Frontend, Destination = target, Start = DateTimeOffset.UtcNow.AddSeconds(-30) }));
                }
            }

            await scenario.SendAsync(client);
        }

        var api = await limited.GetJsonAsync("/api/v1/topology");
        Assert.True(api.GetProperty("truncated").GetBoolean());
        var omitted = api.GetProperty("omitted").GetProperty("nodes").GetInt32();
        var expected = api.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetString()!).Order(StringComparer.Ordinal).ToList();

        await _browser.NavigateAsync(limited.HttpAddress + "#window=15m");
        await _browser.WaitForAsync("/nodes, .* edges/.test(document.getElementById('status').textContent)");

        // The busiest nodes are drawn and usable, and the banner says the graph is cut and by how much.
        Assert.Equal(expected, await NodeIdsAsync());
        Assert.Contains("default/busy-5", expected);
        Assert.False((await _browser.EvaluateAsync("document.getElementById('truncated').hidden")).GetBoolean());
        var banner = (await TextAsync("document.getElementById('truncated').textContent"))!;
        Assert.Contains("truncated", banner, StringComparison.Ordinal);
        Assert.Contains($"Left out: {omitted} nodes", banner, StringComparison.Ordinal);
        await _browser.ClickAsync("#viewport .node[data-id=\"default/busy-5\"] .shape");
        await _browser.WaitForAsync("document.querySelector('#details h2')?.textContent === 'default/busy-5'");
    }

    [Fact]
    public async Task Page_Colours_ReadOnTheirBackgrounds_AndHealthsStayApartUnderColourVisionDeficiencies()
    {
        await OpenAsync("#window=15m");
        var colours = await _browser.EvaluateAsync("""
            (() => {
              const s = getComputedStyle(document.documentElement);
              return Object.fromEntries(['ok', 'degraded', 'failure', 'idle', 'bg', 'panel', 'ink', 'muted', 'focus', 'failure-tint', 'degraded-tint'].map(k => [k, s.getPropertyValue('--' + k).trim()]));
            })()
            """);
        Rgb Colour(string name) => Rgb.Parse(colours.GetProperty(name).GetString()!);

        // Health colours are lines and text on the graph's background, and text on their tints
        // (a failing node's fill, the kinds of a sample, the truncation banner): 4.5:1, WCAG AA
        // for text, which covers the 3:1 for graphics.
        foreach (var (fore, back) in new[]
        {
            ("ok", "bg"), ("degraded", "bg"), ("failure", "bg"), ("idle", "bg"), ("ink", "bg"), ("muted", "bg"), ("focus", "bg"),
            ("ink", "panel"), ("muted", "panel"), ("focus", "panel"),
            ("failure", "failure-tint"), ("degraded", "degraded-tint"), ("ink", "degraded-tint"),
        })
        {
            var contrast = Rgb.Contrast(Colour(fore), Colour(back));
            Assert.True(contrast >= 4.5, $"{fore} on {back}: {contrast:F2}");
        }

        // Healthy, degraded and failing stay apart (CIE76 colour difference of 15 or more) as
        // seen with full protanopia, deuteranopia and tritanopia (Machado et al. 2009 simulation).
        foreach (var vision in Rgb.Visions)
        {
            foreach (var (a, b) in new[] { ("ok", "degraded"), ("ok", "failure"), ("degraded", "failure") })
            {
                var difference = Rgb.Difference(Colour(a).Seen(vision), Colour(b).Seen(vision));
                Assert.True(difference >= 15, $"{a} / {b} with {vision}: ΔE {difference:F1}");
            }
        }

        // And never by colour alone: the page marks them (✖, !), asserted with the 300-node
        // graph; here the drawn lines differ in width.
        var widths = await _browser.EvaluateAsync("""
            Object.fromEntries(['five-at-degraded', 'five-below-failure', 'five-at-failure'].map(t => [t, parseFloat(getComputedStyle(document.querySelector(`#viewport .edge[data-target="default/${t}"] path.line`)).strokeWidth)]))
            """);
        Assert.True(widths.GetProperty("five-at-degraded").GetDouble() < widths.GetProperty("five-below-failure").GetDouble());
        Assert.True(widths.GetProperty("five-below-failure").GetDouble() < widths.GetProperty("five-at-failure").GetDouble());
    }

    private static Workload Target(string app, int i) => new("default", app, "v1", $"{app}-v1-6d5f7c9b8-{i:D5}", $"10.244.6.{10 + i}");

    private static string Local(DateTime t) => t.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);

    private int TopologyLoads() => _browser.RequestedUrls.Count(u => u.Contains("/api/v1/topology?", StringComparison.Ordinal));

    private Task OpenAsync(string hash) => _browser.OpenTopologyAsync(_server.HttpAddress + hash);

    private Task<List<string>> NodeIdsAsync() => _browser.NodeIdsAsync();

    private Task<List<string>> StringsAsync(string expression) => _browser.StringsAsync(expression);

    private async Task<string?> TextAsync(string expression)
    {
        var value = await _browser.EvaluateAsync(expression);
        return value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    /// <summary>An sRGB colour in linear light, with the few colour-science formulas the page's palette is held to.</summary>
    private readonly record struct Rgb(double R, double G, double B)
    {
        /// <summary>Machado, Oliveira and Fernandes (2009), severity 1, on linear RGB.</summary>
        private static readonly Dictionary<string, double[,]> Simulations = new()
        {
            ["normal vision"] = new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } },
            ["protanopia"] = new[,] { { 0.152286, 1.052583, -0.204868 }, { 0.114503, 0.786281, 0.099216 }, { -0.003882, -0.048116, 1.051998 } },
            ["deuteranopia"] = new[,] { { 0.367322, 0.860646, -0.227968 }, { 0.280085, 0.672501, 0.047413 }, { -0.011820, 0.042940, 0.968881 } },
            ["tritanopia"] = new[,] { { 1.255528, -0.076749, -0.178779 }, { -0.078411, 0.930809, 0.147602 }, { 0.004733, 0.691367, 0.303900 } },
        };

        public static IEnumerable<string> Visions => Simulations.Keys;

        public double Luminance => (0.2126 * R) + (0.7152 * G) + (0.0722 * B);

        public static Rgb Parse(string hex)
        {
            var h = hex.TrimStart('#');
            double Channel(int i)
            {
                var c = int.Parse(h.AsSpan(i * 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture) / 255.0;
                return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
            }

            return new Rgb(Channel(0), Channel(1), Channel(2));
        }

        /// <summary>WCAG 2 contrast ratio.</summary>
        public static double Contrast(Rgb a, Rgb b) =>
            (Math.Max(a.Luminance, b.Luminance) + 0.05) / (Math.Min(a.Luminance, b.Luminance) + 0.05);

        /// <summary>CIE76 ΔE between the colours' CIELAB coordinates (D65).</summary>
        public static double Difference(Rgb a, Rgb b)
        {
            var (l1, a1, b1) = a.Lab();
            var (l2, a2, b2) = b.Lab();
            return Math.Sqrt(((l1 - l2) * (l1 - l2)) + ((a1 - a2) * (a1 - a2)) + ((b1 - b2) * (b1 - b2)));
        }

        public Rgb Seen(string vision)
        {
            var m = Simulations[vision];
            static double Clamp(double v) => Math.Clamp(v, 0, 1);
            return new Rgb(
                Clamp((m[0, 0] * R) + (m[0, 1] * G) + (m[0, 2] * B)),
                Clamp((m[1, 0] * R) + (m[1, 1] * G) + (m[1, 2] * B)),
                Clamp((m[2, 0] * R) + (m[2, 1] * G) + (m[2, 2] * B)));
        }

        private (double L, double A, double B) Lab()
        {
            var x = ((0.4124 * R) + (0.3576 * G) + (0.1805 * B)) / 0.95047;
            var y = Luminance;
            var z = ((0.0193 * R) + (0.1192 * G) + (0.9505 * B)) / 1.08883;
            static double F(double t) => t > 0.008856 ? Math.Cbrt(t) : (7.787 * t) + (16.0 / 116);
            return ((116 * F(y)) - 16, 500 * (F(x) - F(y)), 200 * (F(y) - F(z)));
        }
    }
}
