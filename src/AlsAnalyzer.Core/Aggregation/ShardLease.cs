using AlsAnalyzer.Core.Analysis;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// A writer's claim on one shard, from <see cref="Aggregator.Claim"/> to <see cref="Dispose"/>:
/// record a whole message into <see cref="Sink"/>, then dispose (a <c>using</c>, so that a
/// throwing analysis still releases the shard).
/// </summary>
internal readonly ref struct ShardLease
{
    private readonly AggregationShard _shard;

    public ShardLease(AggregationShard shard, ShardBuffer buffer)
    {
        _shard = shard;
        Sink = buffer;
    }

    public ShardBuffer Sink { get; }

    public void Dispose()
    {
        // A candidate left without its entry's bytes (an analysis that threw) must not take the next entry's.
        if (Sink.PendingSample)
        {
            Sink.AttachSample(default);
        }

        _shard.Release();
    }
}
