using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Server.Tests.Api;

/// <summary>What the topology page tests do in the browser, whatever mesh they feed.</summary>
internal static class TopologyPage
{
    /// <summary>Opens the page at <paramref name="url"/> and waits until it has drawn a topology (its status line counts nodes and edges).</summary>
    public static async Task OpenTopologyAsync(this Chromium browser, string url)
    {
        await browser.NavigateAsync(url);
        await browser.WaitForAsync("/nodes, .* edges/.test(document.getElementById('status').textContent)");
    }

    /// <summary>The strings a script expression gives as an array.</summary>
    public static async Task<List<string>> StringsAsync(this Chromium browser, string expression) =>
        [.. (await browser.EvaluateAsync(expression)).EnumerateArray().Select(v => v.GetString()!)];

    /// <summary>The ids of the nodes drawn, in order.</summary>
    public static async Task<List<string>> NodeIdsAsync(this Chromium browser) =>
        [.. (await browser.StringsAsync("[...document.querySelectorAll('#viewport .node')].map(n => n.dataset.id)")).Order(StringComparer.Ordinal)];
}
