using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Query;

namespace AlsAnalyzer.Server.StoreQueries;

/// <summary>
/// A window's edges as the store has them, in the in-memory query's own types so that ranking,
/// limits, truncation and the JSON shape are the memory store's: side figures rebuilt from the
/// Istio series, and the latency each side's duration buckets give (the memory store's finer
/// histograms are not exported).
/// </summary>
internal sealed class StoreWindow
{
    public WindowView View { get; } = new();

    /// <summary>Latency per edge side (server: true), from <c>istio_request_duration_milliseconds</c>.</summary>
    public Dictionary<(EdgeKey Edge, bool Server), LatencyDto> EdgeLatency { get; } = [];

    /// <summary>Latency of each service's inbound calls per reporting side (server: true).</summary>
    public Dictionary<(NodeRef Node, bool Server), LatencyDto> ServiceLatency { get; } = [];

    /// <summary>The figures of <paramref name="edge"/>'s side, created on first use.</summary>
    public SideStats Side(EdgeKey edge, bool server)
    {
        if (!View.Edges.TryGetValue(edge, out var stats))
        {
            stats = new EdgeStats();
            View.Edges.Add(edge, stats);
        }

        return server ? (stats.Server ??= new SideStats()) : (stats.Client ??= new SideStats());
    }

    /// <summary>Puts the store's latency into an answer built by <see cref="TopologyQueries"/>.</summary>
    public EdgeDto WithLatency(EdgeDto edge, EdgeKey key)
    {
        if (key.Protocol == TrafficProtocol.Tcp)
        {
            return edge;
        }

        var client = EdgeLatency.GetValueOrDefault((key, false));
        var server = EdgeLatency.GetValueOrDefault((key, true));
        return edge with
        {
            LatencyMs = edge.ReportedBy == "server" ? server : client,
            Client = edge.Client is null ? null : edge.Client with { LatencyMs = client },
            Server = edge.Server is null ? null : edge.Server with { LatencyMs = server },
        };
    }

    /// <summary>The latency of a service's inbound calls: the server side's when it reported, else the client side's.</summary>
    public LatencyDto? InboundLatency(NodeRef node) =>
        ServiceLatency.GetValueOrDefault((node, true)) ?? ServiceLatency.GetValueOrDefault((node, false));
}
