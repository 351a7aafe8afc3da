using System.Text.Json;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Server.Tests.Api;

/// <summary>
/// The topology page with a 300-node mesh (fed through a real gRPC client), in a real headless
/// Chromium: the drawing is asserted from the rendered geometry (every name present, no two
/// nodes overlapping, every node inside the scrolling drawing, names at a readable size) and
/// through real clicks and keys. The screenshots (the opening view, and the whole drawing
/// zoomed out) go to the test output folder only: at 300 nodes they are too large for docs/.
/// </summary>
public sealed class LargeTopologyPageTests : IAsyncLifetime
{
    /// <summary>The smallest on-screen size of a node's name, in CSS pixels.</summary>
    private const double MinReadableFontPx = 9;

    private AlsTestServer _server = null!;
    private Chromium _browser = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await AlsTestServer.StartAsync();
        using (var client = new AlsClient(_server.GrpcAddress))
        {
            await LargeMeshScenario.Build(DateTimeOffset.UtcNow.AddSeconds(-30)).SendAsync(client, batch: 20);
        }

        _browser = await Chromium.LaunchAsync(cancellationToken: TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Page_300Nodes_EveryNodeNamedReadableInsideTheDrawingAndNoneOverlap()
    {
        var api = await _server.GetJsonAsync("/api/v1/topology");
        Assert.False(api.TryGetProperty("truncated", out var truncated) && truncated.GetBoolean());
        var expected = api.GetProperty("nodes").EnumerateArray()
            .ToDictionary(n => n.GetProperty("id").GetString()!, n => n.GetProperty("name").GetString()!);
        Assert.Equal(LargeMeshScenario.Nodes, expected.Count);
        Assert.Equal(LargeMeshScenario.Edges, api.GetProperty("edges").GetArrayLength());

        await OpenAsync("#window=15m");
        var drawing = await _browser.EvaluateAsync("""
            (() => {
              const box = document.getElementById('graph-scroll');
              const b = box.getBoundingClientRect();
              const nodes = [...document.querySelectorAll('#viewport .node')].map(g => {
                const r = g.getBoundingClientRect();
                const name = g.querySelector('text.name');
                return {
                  id: g.dataset.id, name: name.textContent,
                  left: r.left - b.left + box.scrollLeft, top: r.top - b.top + box.scrollTop,
                  right: r.right - b.left + box.scrollLeft, bottom: r.bottom - b.top + box.scrollTop,
                  fontPx: parseFloat(getComputedStyle(name).fontSize) * name.getScreenCTM().a,
                };
              });
              return { nodes, width: box.scrollWidth, height: box.scrollHeight, paneWidth: box.clientWidth, paneHeight: box.clientHeight };
            })()
            """);
        var nodes = drawing.GetProperty("nodes").EnumerateArray().Select(Box.From).ToList();

        // Every node, with its name as SVG text.
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), nodes.Select(n => n.Id).Order(StringComparer.Ordinal));
        Assert.All(nodes, n => Assert.Equal(expected[n.Id], n.Name));

        // Names at a readable size on screen.
        Assert.All(nodes, n => Assert.True(n.FontPx >= MinReadableFontPx, $"{n.Id}: name drawn at {n.FontPx:F1} px"));

        // Inside the scrolling drawing (reachable by scrolling), and no two boxes overlap.
        var width = drawing.GetProperty("width").GetDouble();
        var height = drawing.GetProperty("height").GetDouble();
        Assert.All(nodes, n => Assert.True(n.Left >= 0 && n.Top >= 0 && n.Right <= width && n.Bottom <= height, $"{n.Id} at {n} outside {width}x{height}"));
        var overlaps = new List<string>();
        for (var i = 0; i < nodes.Count; i++)
        {
            for (var j = i + 1; j < nodes.Count; j++)
            {
                if (nodes[i].Overlaps(nodes[j]))
                {
                    overlaps.Add($"{nodes[i].Id} {nodes[i]} / {nodes[j].Id} {nodes[j]}");
                }
            }
        }

        Assert.True(overlaps.Count == 0, string.Join("\n", overlaps.Take(10)));

        // Usable size: proportioned like the pane (not a strip hundreds of rows tall), and not
        // much more area per node than the nodes' boxes need.
        var paneRatio = drawing.GetProperty("paneWidth").GetDouble() / drawing.GetProperty("paneHeight").GetDouble();
        var ratio = width / height;
        Assert.InRange(ratio / paneRatio, 0.4, 2.5);
        var boxes = nodes.Sum(n => (n.Right - n.Left) * (n.Bottom - n.Top));
        Assert.True(width * height < 12 * boxes, $"drawing {width}x{height} for {boxes:F0} px² of node boxes");

        await SaveScreenshotAsync("topology-page-300.png");

        // The wheel zooms out to an overview that fits the pane.
        for (var i = 0; i < 10 && await DrawingOverflowsAsync(); i++)
        {
            var before = await ViewTransformAsync();
            await _browser.WheelAsync("#graph-scroll", 300);
            await _browser.WaitForAsync("document.getElementById('viewport').getAttribute('transform') !== " + JsonSerializer.Serialize(before));
        }

        Assert.False(await DrawingOverflowsAsync());
        await SaveScreenshotAsync("topology-page-300-overview.png");
        Assert.Empty(_browser.Console);
    }

    [Fact]
    public async Task Page_300Nodes_ClickAndKeyboardOpenDetails_AndHealthHasANonColourCue()
    {
        await OpenAsync("#window=15m");

        // A click on a node far into the drawing (the browser scrolls to it) opens its details.
        var backend = LargeMeshScenario.Backend(LargeMeshScenario.Backends - 1);
        var backendId = $"{backend.Namespace}/{backend.App}";
        await _browser.ClickAsync($"#viewport .node[data-id=\"{backendId}\"] .shape");
        await _browser.WaitForAsync($"document.querySelector('#details h2')?.textContent === {JsonSerializer.Serialize(backendId)}");
        Assert.Single(await StringsAsync("[...document.querySelectorAll('#inbound tbody tr')].map(r => r.textContent)"));
        await _browser.PressAsync("Escape", 27);
        await _browser.WaitForAsync("document.querySelector('#details .empty') !== null");

        // Tab from the last control reaches the graph: the first edge, whose hidden figures show
        // while it has focus; Enter opens it.
        await _browser.EvaluateAsync("document.getElementById('reload').focus()");
        await _browser.PressAsync("Tab", 9);
        var focused = await _browser.EvaluateAsync("""
            (() => {
              const e = document.activeElement;
              const label = [...document.querySelectorAll('#viewport .edge-label')].find(l => l.dataset.source === e.dataset.source && l.dataset.target === e.dataset.target && l.dataset.protocol === e.dataset.protocol);
              return { cls: e.getAttribute('class'), source: e.dataset.source, target: e.dataset.target, visible: label && getComputedStyle(label).visibility };
            })()
            """);
        Assert.StartsWith("edge ", focused.GetProperty("cls").GetString(), StringComparison.Ordinal);
        Assert.Equal("visible", focused.GetProperty("visible").GetString());
        await _browser.PressAsync("Enter", 13, "\r");
        var edgeTitle = $"{focused.GetProperty("source").GetString()} → {focused.GetProperty("target").GetString()}";
        await _browser.WaitForAsync($"document.querySelector('#details h2')?.textContent === {JsonSerializer.Serialize(edgeTitle)}");
        await _browser.PressAsync("Escape", 27);

        // Tab onto the node drawn furthest from the origin: the browser scrolls it into view.
        var far = (await _browser.EvaluateAsync("""
            (() => {
              const box = document.getElementById('graph-scroll');
              const nodes = [...document.querySelectorAll('#viewport .node')];
              const key = g => { const r = g.getBoundingClientRect(); return r.left + r.top; };
              const i = nodes.reduce((best, g, k) => key(g) > key(nodes[best]) ? k : best, 1);
              nodes[i - 1].focus();
              box.scrollTo(0, 0);
              return nodes[i].dataset.id;
            })()
            """)).GetString()!;
        await _browser.PressAsync("Tab", 9);
        var inView = await _browser.EvaluateAsync("""
            (() => {
              const b = document.getElementById('graph-scroll').getBoundingClientRect();
              const r = document.activeElement.getBoundingClientRect();
              return { id: document.activeElement.dataset.id, inside: r.left >= b.left && r.right <= b.right && r.top >= b.top && r.bottom <= b.bottom };
            })()
            """);
        Assert.Equal(far, inView.GetProperty("id").GetString());
        Assert.True(inView.GetProperty("inside").GetBoolean(), $"{far} not scrolled into view");
        await _browser.PressAsync("Enter", 13, "\r");
        await _browser.WaitForAsync($"document.querySelector('#details h2')?.textContent === {JsonSerializer.Serialize(far)}");

        // Health is never told by colour alone: a marker in the drawing and words in the label.
        var marks = await _browser.EvaluateAsync("""
            (() => ({
              nodes: [...document.querySelectorAll('#viewport .node')].map(g => ({ health: g.dataset.health, badge: g.querySelector('text.badge')?.textContent ?? '', aria: g.getAttribute('aria-label') })),
              edges: [...document.querySelectorAll('#viewport .edge-label')].map(l => {
                const e = [...document.querySelectorAll('#viewport .edge')].find(x => x.dataset.source === l.dataset.source && x.dataset.target === l.dataset.target && x.dataset.protocol === l.dataset.protocol);
                return { health: e.dataset.health, text: l.querySelector('text.figures').textContent, visible: getComputedStyle(l).visibility, aria: e.getAttribute('aria-label') };
              }),
            }))()
            """);
        var nodeMarks = marks.GetProperty("nodes").EnumerateArray().ToList();
        var edgeMarks = marks.GetProperty("edges").EnumerateArray().ToList();
        Assert.Contains(nodeMarks, n => n.GetProperty("health").GetString() == "failure");
        Assert.Contains(nodeMarks, n => n.GetProperty("health").GetString() == "degraded");
        Assert.Equal(LargeMeshScenario.BackendsPerApi, edgeMarks.Count(e => e.GetProperty("health").GetString() == "failure"));
        Assert.Single(edgeMarks, e => e.GetProperty("health").GetString() == "degraded");
        foreach (var (health, marker, word) in new[] { ("failure", "✖", "failing"), ("degraded", "!", "degraded"), ("ok", "", "healthy") })
        {
            Assert.All(nodeMarks.Where(n => n.GetProperty("health").GetString() == health), n =>
            {
                Assert.Equal(marker, n.GetProperty("badge").GetString());
                Assert.EndsWith(", " + word, n.GetProperty("aria").GetString(), StringComparison.Ordinal);
            });
            Assert.All(edgeMarks.Where(e => e.GetProperty("health").GetString() == health), e =>
            {
                Assert.EndsWith(", " + word, e.GetProperty("aria").GetString(), StringComparison.Ordinal);
                if (marker.Length > 0)
                {
                    // Degraded and failing figures stay drawn even in a dense graph.
                    Assert.StartsWith(marker + " ", e.GetProperty("text").GetString(), StringComparison.Ordinal);
                    Assert.Equal("visible", e.GetProperty("visible").GetString());
                }
            });
        }

        Assert.Empty(_browser.Console);
    }

    private Task OpenAsync(string hash) => _browser.OpenTopologyAsync(_server.HttpAddress + hash);

    private async Task<bool> DrawingOverflowsAsync() =>
        (await _browser.EvaluateAsync("(() => { const b = document.getElementById('graph-scroll'); return b.scrollWidth > b.clientWidth || b.scrollHeight > b.clientHeight; })()")).GetBoolean();

    private async Task<string> ViewTransformAsync() =>
        (await _browser.EvaluateAsync("document.getElementById('viewport').getAttribute('transform')")).GetString()!;

    private Task<List<string>> StringsAsync(string expression) => _browser.StringsAsync(expression);

    private async Task SaveScreenshotAsync(string name)
    {
        var png = await _browser.ScreenshotAsync();
        Assert.True(png.Length > 10_000 && png[1] == (byte)'P' && png[2] == (byte)'N' && png[3] == (byte)'G');
        await File.WriteAllBytesAsync(Path.Combine(AppContext.BaseDirectory, name), png, TestContext.Current.CancellationToken);
    }

    private sealed record Box(string Id, string Name, double Left, double Top, double Right, double Bottom, double FontPx)
    {
        public static Box From(JsonElement e) => new(
            e.GetProperty("id").GetString()!, e.GetProperty("name").GetString()!,
            e.GetProperty("left").GetDouble(), e.GetProperty("top").GetDouble(),
            e.GetProperty("right").GetDouble(), e.GetProperty("bottom").GetDouble(), e.GetProperty("fontPx").GetDouble());

        /// <summary>Overlap by more than half a pixel either way (anti-aliased edges may touch).</summary>
        public bool Overlaps(Box o) =>
            Math.Min(Right, o.Right) - Math.Max(Left, o.Left) > 0.5 && Math.Min(Bottom, o.Bottom) - Math.Max(Top, o.Top) > 0.5;

        public override string ToString() => $"[{Left:F0},{Top:F0} - {Right:F0},{Bottom:F0}]";
    }
}
