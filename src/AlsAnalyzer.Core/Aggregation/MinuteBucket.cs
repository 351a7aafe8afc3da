using System.Runtime.CompilerServices;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// Everything counted for one minute: edges, endpoints, instances and the nodes seen acting
/// as gateways. Used both as a shard's private buffer and as the merged bucket of the ring;
/// the cardinality caps apply in both, so a burst of distinct keys is bounded before it is
/// merged. Not thread-safe: its owner serialises access.
/// <para>Bounded in bytes as well as in series (<see cref="SeriesBudget"/>, estimated by
/// <see cref="SeriesBytes"/>): past the budget new edges fold into the overflow edge, new
/// endpoints into the overflow node's <c>(other)</c>, new instances are not listed, all counted
/// as overflow. A ring bucket (<paramref name="tracksGrowth"/>) also counts its series' growth
/// (second side, histogram buckets, flag counts) as each shard buffer is merged in; a shard
/// buffer's bucket counts a first side per new series instead, keeping the ingest path free of
/// accounting beyond a new key.</para>
/// </summary>
internal sealed class MinuteBucket(AggregationOptions limits, SeriesBudget? budget = null, bool tracksGrowth = false, bool tableMemos = false)
{
    public const string OtherEndpoint = "(other)";

    // Ingest memos in front of the endpoint and instance dictionaries, indexed by the identity
    // of the key's string: the fast path's strings are interned, so a repeated key is found
    // without hashing its text. A memo hit is a reference-equal key, so it is always right;
    // a miss (or a string not interned) goes to the dictionary. Keys folded into an overflow
    // series are not memoised, so that every record of theirs is counted as overflow. 1,024
    // slots keep the arrays out of the large object heap: shard buckets last a collect interval.
    private const int MemoSlots = 1024;

    private readonly Dictionary<NodeRef, int> _endpointsPerService = [];
    private Memo<EdgeStats>[]? _endpointMemo;
    private Memo<InstanceStats>[]? _instanceMemo;
    private OverflowCounts _overflow;
    private readonly SeriesBudget _budget = budget ?? SeriesBudget.Unlimited();

    public Dictionary<EdgeKey, EdgeStats> Edges { get; } = [];

    public Dictionary<EndpointKey, EdgeStats> Endpoints { get; } = [];

    public Dictionary<InstanceKey, InstanceStats> Instances { get; } = [];

    public HashSet<NodeRef> Gateways { get; } = [];

    /// <summary>Estimated bytes of this bucket's series (of its shard buffer's, for a shard bucket: the budget is shared).</summary>
    public long EstimatedBytes => _budget.Used;

    /// <summary>Records folded into overflow series since the last <see cref="TakeOverflow"/>.</summary>
    public OverflowCounts TakeOverflow()
    {
        var o = _overflow;
        _overflow = default;
        return o;
    }

    /// <summary>Counts one side record; returns the edge's stats (for the sample floor).</summary>
    public EdgeStats Record(in SideRecord r)
    {
        var edge = EdgeFor(new EdgeKey(r.Source, r.Target, r.Protocol), 1);
        edge.Add(r);
        if (r.Endpoint.Length > 0)
        {
            MemoizedEndpoint(r.Target, r.Protocol, r.Endpoint).Add(r);
        }

        var calls = r.Protocol == TrafficProtocol.Tcp ? r.Connections : 1;
        if (r.Reporter == ReporterSide.Server)
        {
            var own = MemoizedInstance(r.Target, r.TargetInstance, 1);
            if (own is not null)
            {
                own.Inbound += calls;
                own.InboundErrors += r.Error ? 1 : 0;
            }

            _ = MemoizedInstance(r.Source, r.SourceInstance, 0);
        }
        else
        {
            var own = MemoizedInstance(r.Source, r.SourceInstance, 1);
            if (own is not null)
            {
                own.Outbound += calls;
            }

            _ = MemoizedInstance(r.Target, r.TargetInstance, 0);
        }

        if (r.SourceIsGateway && !r.Source.IsUnknown && Gateways.Add(r.Source))
        {
            _budget.Used += SeriesBytes.Gateway(r.Source);
        }

        if (r.TargetIsGateway && !r.Target.IsUnknown && Gateways.Add(r.Target))
        {
            _budget.Used += SeriesBytes.Gateway(r.Target);
        }

        return edge;
    }

    public void Merge(MinuteBucket other)
    {
        foreach (var (key, stats) in other.Edges)
        {
            MergeInto(EdgeFor(key, Weight(stats)), stats);
        }

        foreach (var (key, stats) in other.Endpoints)
        {
            MergeInto(EndpointFor(key, Weight(stats), out _), stats);
        }

        foreach (var (key, stats) in other.Instances)
        {
            InstanceFor(key.Service, key.Instance, stats.Inbound + stats.Outbound)?.Merge(stats);
        }

        foreach (var gateway in other.Gateways)
        {
            if (Gateways.Add(gateway))
            {
                _budget.Used += SeriesBytes.Gateway(gateway);
            }
        }

        _overflow.Add(other.TakeOverflow());
    }

    /// <summary>Calls every series of this bucket stands for (edges hold every call once).</summary>
    public long Calls()
    {
        long calls = 0;
        foreach (var stats in Edges.Values)
        {
            calls += Weight(stats);
        }

        return calls;
    }

    private void MergeInto(EdgeStats target, EdgeStats stats)
    {
        if (!tracksGrowth)
        {
            target.Merge(stats);
            return;
        }

        var before = SeriesBytes.Stats(target);
        target.Merge(stats);
        _budget.Used += SeriesBytes.Stats(target) - before;
    }

    /// <summary>Calls an aggregate stands for, counted when it folds into an overflow series.</summary>
    private static long Weight(EdgeStats stats) => (stats.Client?.Calls ?? 0) + (stats.Server?.Calls ?? 0);

    private EdgeStats EdgeFor(EdgeKey key, long weight)
    {
        if (Edges.TryGetValue(key, out var stats))
        {
            return stats;
        }

        // The overflow edge itself is never capped: what it holds was counted when it folded.
        var isOverflow = key.Source == NodeRef.Overflow && key.Target == NodeRef.Overflow;
        if (!isOverflow && (Edges.Count >= limits.MaxEdgesPerMinute || _budget.Full))
        {
            _overflow.Edges += weight;
            key = new EdgeKey(NodeRef.Overflow, NodeRef.Overflow, key.Protocol);
            isOverflow = true;
            if (Edges.TryGetValue(key, out stats))
            {
                return stats;
            }
        }

        // A table's memo on an edge relies on the edge being one (source, target) pair: the
        // overflow edge, which gathers many, keeps none (its records are looked up).
        var memo = tableMemos && !isOverflow;
        stats = memo ? new ShardEdgeStats() : new EdgeStats();
        Edges.Add(key, stats);
        _budget.Used += SeriesBytes.Edge(key) + (tracksGrowth ? 0 : SeriesBytes.FirstSide) + (memo ? SeriesBytes.TableMemo : 0);
        return stats;
    }

    private static int MemoSlot(NodeRef node, int discriminator, string text) =>
        ((node.GetHashCode() * 31) + discriminator + RuntimeHelpers.GetHashCode(text)) & (MemoSlots - 1);

    private EdgeStats MemoizedEndpoint(NodeRef service, TrafficProtocol protocol, string endpoint)
    {
        var memo = _endpointMemo ??= new Memo<EdgeStats>[MemoSlots];
        ref var slot = ref memo[MemoSlot(service, (int)protocol, endpoint)];
        if (ReferenceEquals(slot.Text, endpoint) && slot.Discriminator == (int)protocol && slot.Node.Equals(service))
        {
            return slot.Stats!;
        }

        var stats = EndpointFor(new EndpointKey(service, protocol, endpoint), 1, out var folded);
        if (!folded)
        {
            slot = new Memo<EdgeStats>(service, (int)protocol, endpoint, stats);
        }

        return stats;
    }

    private InstanceStats? MemoizedInstance(NodeRef service, string instance, long weight)
    {
        if (instance.Length == 0 || service.IsUnknown)
        {
            return null;
        }

        var memo = _instanceMemo ??= new Memo<InstanceStats>[MemoSlots];
        ref var slot = ref memo[MemoSlot(service, 0, instance)];
        if (ReferenceEquals(slot.Text, instance) && slot.Node.Equals(service))
        {
            return slot.Stats;
        }

        var stats = InstanceFor(service, instance, weight);
        if (stats is not null)
        {
            slot = new Memo<InstanceStats>(service, 0, instance, stats);
        }

        return stats;
    }

    private EdgeStats EndpointFor(EndpointKey key, long weight, out bool folded)
    {
        folded = false;
        if (Endpoints.TryGetValue(key, out var stats))
        {
            return stats;
        }

        if (_budget.Full && key.Service != NodeRef.Overflow)
        {
            // Out of bytes: one (other) series for all services, not one more per service.
            _overflow.Endpoints += weight;
            folded = true;
            key = new EndpointKey(NodeRef.Overflow, key.Protocol, OtherEndpoint);
            if (Endpoints.TryGetValue(key, out stats))
            {
                return stats;
            }
        }
        else if (key.Endpoint != OtherEndpoint)
        {
            _endpointsPerService.TryGetValue(key.Service, out var count);
            if (count >= limits.MaxEndpointsPerService)
            {
                _overflow.Endpoints += weight;
                folded = true;
                key = key with { Endpoint = OtherEndpoint };
                if (Endpoints.TryGetValue(key, out stats))
                {
                    return stats;
                }
            }
            else
            {
                _endpointsPerService[key.Service] = count + 1;
            }
        }

        stats = new EdgeStats();
        Endpoints.Add(key, stats);
        _budget.Used += SeriesBytes.Endpoint(key) + (tracksGrowth ? 0 : SeriesBytes.FirstSide);
        return stats;
    }

    private InstanceStats? InstanceFor(NodeRef service, string instance, long weight)
    {
        if (instance.Length == 0 || service.IsUnknown)
        {
            return null;
        }

        var key = new InstanceKey(service, instance);
        if (Instances.TryGetValue(key, out var stats))
        {
            return stats;
        }

        if (Instances.Count >= limits.MaxInstancesPerMinute || _budget.Full)
        {
            // Instances only list who served and called; the edge figures keep the traffic.
            _overflow.Instances += weight;
            return null;
        }

        stats = new InstanceStats();
        Instances.Add(key, stats);
        _budget.Used += SeriesBytes.Instance(key);
        return stats;
    }

    private readonly record struct Memo<TStats>(NodeRef Node, int Discriminator, string? Text, TStats? Stats)
        where TStats : class;
}
