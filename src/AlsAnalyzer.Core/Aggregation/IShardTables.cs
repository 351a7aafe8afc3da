using AlsAnalyzer.Core.Analysis;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// A table kept per ingest shard next to its minute buckets, by another subsystem (the Istio
/// series): filled by the writer that claimed the shard, under the same protocol as
/// <see cref="ShardBuffer"/> (one thread at a time, no lock), and folded by the collector.
/// </summary>
internal interface IShardTable
{
    /// <summary>Adds a record the buffer just counted on <paramref name="edge"/> (a <see cref="ShardEdgeStats"/>, whose <see cref="ShardEdgeStats.Memo"/> is the table's).</summary>
    void Record(in SideRecord record, EdgeStats edge);
}

/// <summary>Hands out the per-shard tables and folds a retired one into its own store.</summary>
internal interface IShardTables
{
    /// <summary>A table for a fresh shard buffer (reused once folded, so a steady mesh allocates none).</summary>
    IShardTable Rent();

    /// <summary>Collector, under the ring's lock: folds a retired buffer's table; the table may then be rented again.</summary>
    void Fold(IShardTable table);
}
