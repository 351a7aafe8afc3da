using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// Client-reported and server-reported figures of one edge (or endpoint), kept apart: the
/// same call reported by both sidecars must not be counted twice.
/// </summary>
internal class EdgeStats
{
    public SideStats? Client;
    public SideStats? Server;

    /// <summary>Shard buffers only: latency a record must exceed to be offered as a sample (<see cref="SampleCapture"/>).</summary>
    public long SampleFloor = long.MinValue;

    /// <summary>Shard buffers only: the edge has as many failing-call candidates as it keeps.</summary>
    public bool SampleErrorsFull;

    public void Add(in SideRecord r)
    {
        var side = r.Reporter == ReporterSide.Client ? (Client ??= new SideStats()) : (Server ??= new SideStats());
        side.Add(r);
    }

    public void Merge(EdgeStats o)
    {
        if (o.Client is not null)
        {
            (Client ??= new SideStats()).Merge(o.Client);
        }

        if (o.Server is not null)
        {
            (Server ??= new SideStats()).Merge(o.Server);
        }
    }

    /// <summary>Server-reported figures when the server reported, else the client's (Kiali's rule).</summary>
    public SideStats? Preferred => Server ?? Client;
}

/// <summary>
/// An edge of a shard buffer that keeps an <see cref="IShardTable"/>: the table's memo for this
/// edge lives in the edge itself, so finding it costs no pointer to follow (the writer has just
/// touched the edge) and no allocation. Ring buckets hold plain <see cref="EdgeStats"/>.
/// </summary>
internal sealed class ShardEdgeStats : EdgeStats
{
    /// <summary>Opaque to the aggregation: written and read only by the buffer's table.</summary>
    public TableMemo Memo;
}

/// <summary>
/// Eight tagged references an <see cref="IShardTable"/> keeps on an edge (<see cref="ShardEdgeStats.Memo"/>):
/// the tags in one 64-byte block, so that one vector compare finds a tag in any slot.
/// </summary>
internal struct TableMemo
{
    public const int SlotCount = 8;

    public MemoTags Tags;
    public MemoRefs Refs;

    /// <summary>The slot the next miss replaces (round robin).</summary>
    public int Next;

    [System.Runtime.CompilerServices.InlineArray(SlotCount)]
    internal struct MemoTags
    {
        private ulong _first;
    }

    [System.Runtime.CompilerServices.InlineArray(SlotCount)]
    internal struct MemoRefs
    {
        private object? _first;
    }
}
