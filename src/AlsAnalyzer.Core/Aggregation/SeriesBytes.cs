using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// Estimated heap bytes of the aggregation's series on 64-bit .NET: object headers (16), fields,
/// a dictionary slot with its share of the bucket array and of the doubling slack (x1.5), and
/// the key's strings (22 + 2 per char) counted for every series that holds them, as if no
/// string were shared: an upper bound when names are interned, exact when they are not (a
/// flood of distinct names).
/// </summary>
internal static class SeriesBytes
{
    /// <summary>An <see cref="EdgeStats"/> with no side yet.</summary>
    public const int EdgeStatsObject = 32;

    /// <summary>What a <see cref="ShardEdgeStats"/> adds to its edge: eight tags, eight references, the next slot.</summary>
    public const int TableMemo = 136;

    /// <summary>A <see cref="SideStats"/> without its histogram array and flag counts.</summary>
    public const int SideObject = 208;

    /// <summary>One side with a small histogram: what a new series costs before it grows.</summary>
    public const int FirstSide = SideObject + 24 + (8 * 8);

    public static long String(string s) => 22 + (2L * s.Length);

    public static long Node(NodeRef n) => String(n.Namespace) + String(n.Name);

    /// <summary>A new edge series: its slot (EdgeKey 56 + ref + hash/next 8, x1.5) and stats object.</summary>
    public static long Edge(EdgeKey key) => 108 + EdgeStatsObject + Node(key.Source) + Node(key.Target);

    /// <summary>A new endpoint series: its slot (EndpointKey 40 + ref + 8, x1.5), the per-service count slot, stats object, names.</summary>
    public static long Endpoint(EndpointKey key) => 84 + 48 + EdgeStatsObject + Node(key.Service) + String(key.Endpoint);

    /// <summary>A new instance: its slot (InstanceKey 32 + ref + 8, x1.5), its stats (40), names.</summary>
    public static long Instance(InstanceKey key) => 72 + 40 + Node(key.Service) + String(key.Instance);

    /// <summary>A gateway in a bucket's set (slot and names).</summary>
    public static long Gateway(NodeRef node) => 36 + Node(node);

    /// <summary>What an edge or endpoint's figures hold now: sides, histogram arrays, flag counts.</summary>
    public static long Stats(EdgeStats stats) => Side(stats.Client) + Side(stats.Server);

    private static long Side(SideStats? side) =>
        side is null ? 0 : SideObject + (side.Latency.Capacity == 0 ? 0 : 24 + (8L * side.Latency.Capacity)) + (side.FlagCounts is null ? 0 : 24 + (8L * ResponseFlagSet.Count));
}
