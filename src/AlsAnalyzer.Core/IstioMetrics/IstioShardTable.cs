using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.IstioMetrics;

/// <summary>
/// One ingest shard's Istio figures since the last collect, by <see cref="IstioKey"/>: the
/// writer adds a record with, mostly, a memo hit on the record's edge (a few compares of
/// integers and references, see <see cref="IstioEdgeMemo"/>), else one dictionary lookup; then
/// three one-compare bucket lookups (<see cref="BucketLookup"/>), no text and no allocation
/// once the key was seen. The collector folds it into <see cref="IstioSeriesStore"/>, which
/// zeroes the figures but keeps the keys (so a steady mesh allocates nothing) until they stay
/// idle for <see cref="IdleFoldsBeforeRemoval"/> folds.
/// <para>Bounded whatever the input: at most <c>maxCells</c> keys (new keys past it go to one
/// overflow cell per protocol kind, folded into the store's overflow series and counted as
/// folded), idle keys let go at the first idle fold once the table is half full, and memos only
/// for edges seen twice, at most <see cref="MaxMemos"/>. A flood of distinct keys therefore
/// costs a table at most about <c>maxCells</c> x 0.5 KB plus <see cref="MaxMemos"/> x 0.7 KB.</para>
/// </summary>
internal sealed class IstioShardTable(int maxCells = int.MaxValue) : IShardTable
{
    public const int IdleFoldsBeforeRemoval = 120;

    /// <summary>Edges given a memo between two folds at most; further edges use the dictionary.</summary>
    public const int MaxMemos = 4096;

    // Below this many, the memos a fold finds unused are kept for the next buffer.
    private const int MemosKept = 256;

    // Marks an edge seen once since the buffer began: its second record gets a memo.
    private static readonly object SeenOnce = new();

    private readonly int _maxCells = maxCells;

    // The memos handed to the edges of the buffer this table serves, reused once it is folded.
    private readonly List<IstioEdgeMemo> _memos = [];
    private int _memosUsed;

    internal Dictionary<IstioKey, IstioShardCell> Cells { get; } = [];

    /// <summary>Records of keys that found the table full since the last fold, by protocol kind (null until one did).</summary>
    internal IstioShardCell? OverflowHttp { get; private set; }

    /// <summary><inheritdoc cref="OverflowHttp"/></summary>
    internal IstioShardCell? OverflowTcp { get; private set; }

    /// <summary>Keys at most (<see cref="IstioMetricsOptions.IstioMaxSeries"/> in the server).</summary>
    internal int MaxCells => _maxCells;

    /// <summary>Records whose cell an edge's memo gave (the rest were looked up in <see cref="Cells"/>).</summary>
    internal long MemoHits { get; private set; }

    /// <summary>Edges given a memo since the last fold.</summary>
    internal int MemosInUse => _memosUsed;

    /// <summary>Adds a record without an edge to memoise on: one dictionary lookup.</summary>
    public void Record(in SideRecord r)
    {
        if (TryKey(r, out var key))
        {
            Add(CellFor(key), r, key.IsTcp);
        }
    }

    public void Record(in SideRecord r, EdgeStats edge)
    {
        if (r.Istio == IstioReport.None)
        {
            return;
        }

        if (edge.TableMemo is not IstioEdgeMemo memo)
        {
            // A memo pays from an edge's second record; a burst of edges seen once (random
            // cardinality) gets none, and past MaxMemos neither does any other edge.
            if (edge.TableMemo is null || _memosUsed >= MaxMemos)
            {
                edge.TableMemo ??= SeenOnce;
                Record(r);
                return;
            }

            memo = Memo(edge, r);
        }

        // The memo compares the record's own parts, so a hit builds no key and hashes nothing.
        if (!memo.Covers(r) || !IstioEdgeMemo.TryTag(r, out var tag))
        {
            Record(r);
            return;
        }

        Parts(r, out _, out var source, out var sourceWorkload, out var sourcePrincipal, out _, out var destinationWorkload, out var destinationPrincipal, out var host);
        var probe = new IstioEdgeMemo.Probe(
            sourceWorkload,
            destinationWorkload,
            sourcePrincipal,
            r.Istio == IstioReport.Destination ? destinationPrincipal : host,
            r.Istio == IstioReport.Waypoint ? source : default);
        var cell = memo.Find(tag, probe);
        if (cell is null)
        {
            TryKey(r, out var key);
            cell = CellFor(key);
            memo.Add(tag, probe, cell);
        }
        else
        {
            MemoHits++;
        }

        Add(cell, r, r.Protocol == TrafficProtocol.Tcp);
    }

    /// <summary>
    /// Collector, when the buffer this table served has been folded: its edges are done with
    /// their memos (and cells may have been removed since). A burst's surplus is let go.
    /// </summary>
    internal void ReleaseMemos()
    {
        var keep = Math.Max(_memosUsed, MemosKept);
        if (_memos.Count > keep)
        {
            _memos.RemoveRange(keep, _memos.Count - keep);
        }

        _memosUsed = 0;
    }

    /// <summary>The series a record counts under, if it counts under one (<see cref="SideRecord.Istio"/>).</summary>
    internal static bool TryKey(in SideRecord r, out IstioKey key)
    {
        if (!Parts(r, out var reporter, out var source, out var sourceWorkload, out var sourcePrincipal, out var destination, out var destinationWorkload, out var destinationPrincipal, out var host))
        {
            key = default;
            return false;
        }

        var tcp = r.Protocol == TrafficProtocol.Tcp;
        var security = reporter != IstioReporter.Destination ? SecurityPolicy.Unknown : r.Mtls ? SecurityPolicy.MutualTls : SecurityPolicy.None;
        key = new IstioKey(
            reporter,
            r.Protocol,
            source,
            sourceWorkload,
            sourcePrincipal,
            destination,
            destinationWorkload,
            destinationPrincipal,
            host,
            tcp ? 0 : r.StatusCode,
            tcp ? -1 : r.GrpcStatus,
            r.Flags,
            security);
        return true;
    }

    /// <summary>Which of a record's nodes, workloads and identities label its series, by <see cref="SideRecord.Istio"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool Parts(
        in SideRecord r,
        out IstioReporter reporter,
        out NodeRef source,
        out WorkloadId? sourceWorkload,
        out string sourcePrincipal,
        out NodeRef destination,
        out WorkloadId? destinationWorkload,
        out string destinationPrincipal,
        out string host)
    {
        switch (r.Istio)
        {
            case IstioReport.Destination:
                (reporter, source, sourceWorkload, sourcePrincipal) = (IstioReporter.Destination, r.Source, r.SourceWorkload, r.SourcePrincipal);
                (destination, destinationWorkload, destinationPrincipal, host) = (r.Target, r.TargetWorkload, r.TargetPrincipal, string.Empty);
                return true;
            case IstioReport.Source:
                (reporter, source, sourceWorkload, sourcePrincipal) = (IstioReporter.Source, r.Source, r.SourceWorkload, string.Empty);
                (destination, destinationWorkload, destinationPrincipal, host) = (r.Target, r.TargetWorkload, string.Empty, r.DestinationHost);
                return true;
            case IstioReport.Waypoint:
                (reporter, source, sourceWorkload, sourcePrincipal) = (IstioReporter.Waypoint, r.Caller, r.CallerWorkload, r.CallerPrincipal);
                (destination, destinationWorkload, destinationPrincipal, host) = (r.Target, r.TargetWorkload, string.Empty, r.DestinationHost);
                return true;
            case IstioReport.SourceNoUpstream:
                // The gateway's server half: the gateway is the source, nothing was called.
                (reporter, source, sourceWorkload, sourcePrincipal) = (IstioReporter.Source, r.Target, r.TargetWorkload, string.Empty);
                (destination, destinationWorkload, destinationPrincipal, host) = (NodeRef.Unknown, null, string.Empty, string.Empty);
                return true;
            case IstioReport.WaypointNoUpstream:
                (reporter, source, sourceWorkload, sourcePrincipal) = (IstioReporter.Waypoint, r.Source, r.SourceWorkload, r.SourcePrincipal);
                (destination, destinationWorkload, destinationPrincipal, host) = (NodeRef.Unknown, null, string.Empty, string.Empty);
                return true;
            default:
                (reporter, source, sourceWorkload, sourcePrincipal) = (default, default, null, string.Empty);
                (destination, destinationWorkload, destinationPrincipal, host) = (default, null, string.Empty, string.Empty);
                return false;
        }
    }

    private static void Add(IstioShardCell cell, in SideRecord r, bool tcp)
    {
        cell.Records++;
        if (tcp)
        {
            // Istio's "sent" is the response direction (destination to source), "received" the request's.
            cell.TcpReceivedBytes += r.BytesSent;
            cell.TcpSentBytes += r.BytesReceived;
            cell.TcpOpened += r.ConnectionsOpened;
            cell.TcpClosed += r.Connections;
            return;
        }

        // An entry without timings is observed at 0 ms, so that _count equals the requests.
        var micros = r.LatencyMicros < 0 ? 0 : r.LatencyMicros;
        var requestBytes = r.BytesSent < 0 ? 0 : r.BytesSent;
        var responseBytes = r.BytesReceived < 0 ? 0 : r.BytesReceived;
        cell.Requests++;
        cell.DurationMicrosSum += micros;
        cell.RequestBytesSum += requestBytes;
        cell.ResponseBytesSum += responseBytes;
        ref var buckets = ref cell.Buckets;
        buckets[IstioCounts.DurationOffset + BucketLookup.Micros.Of(micros)]++;
        buckets[IstioCounts.RequestBytesOffset + BucketLookup.Doubled.Of(requestBytes * 2)]++;
        buckets[IstioCounts.ResponseBytesOffset + BucketLookup.Doubled.Of(responseBytes * 2)]++;
    }

    private IstioShardCell CellFor(in IstioKey key)
    {
        if (Cells.Count >= _maxCells)
        {
            ref var known = ref CollectionsMarshal.GetValueRefOrNullRef(Cells, key);
            if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref known))
            {
                return known;
            }

            return key.IsTcp ? OverflowTcp ??= new IstioShardCell() : OverflowHttp ??= new IstioShardCell();
        }

        ref var cell = ref CollectionsMarshal.GetValueRefOrAddDefault(Cells, key, out _);
        return cell ??= new IstioShardCell();
    }

    private IstioEdgeMemo Memo(EdgeStats edge, in SideRecord r)
    {
        IstioEdgeMemo memo;
        if (_memosUsed < _memos.Count)
        {
            memo = _memos[_memosUsed];
        }
        else
        {
            memo = new IstioEdgeMemo();
            _memos.Add(memo);
        }

        memo.Reset(r.Source, r.Target);
        _memosUsed++;
        edge.TableMemo = memo;
        return memo;
    }
}

/// <summary>
/// The cells an edge's records went to, on the edge itself (<see cref="EdgeStats.TableMemo"/>):
/// an edge's records differ mostly by reporter (its two sides), status code and flags, so a few
/// slots find a repeated series without building its key, hashing it or touching the dictionary.
/// A slot holds what labels the series beyond the edge's two nodes (which the memo checks once):
/// the record's integer parts packed losslessly into a tag (all tags in one cache line), then
/// in one 64-byte slot the workloads, identities and a waypoint's caller, compared by value
/// (references first) where a tag matches, so a hit is always right. A miss is looked up and
/// replaces the oldest slot; a record whose parts do not pack (a status code beyond 16 bits, an
/// unusual gRPC status) or of other nodes than the edge's is looked up without the memo.
/// Valid while the edge's buffer is written: the table hands the memos out again once that
/// buffer is folded.
/// </summary>
internal sealed class IstioEdgeMemo
{
    private const int SlotCount = 8;

    private Tags _tags;
    private Slots _slots;
    private int _next;
    private NodeRef _source;
    private NodeRef _target;

    /// <summary>
    /// The record's integer parts, packed without loss: status code (16 bits), gRPC status + 1
    /// (8), flags (32), which Istio report (3), mutual TLS (1), protocol (3), and a top bit so
    /// that no tag is 0, the tag of an empty slot. False when a part does not fit.
    /// </summary>
    public static bool TryTag(in SideRecord r, out ulong tag)
    {
        var tcp = r.Protocol == TrafficProtocol.Tcp;
        var code = tcp ? 0 : r.StatusCode;
        var grpc = (tcp ? -1 : r.GrpcStatus) + 1;
        if ((uint)code > ushort.MaxValue || (uint)grpc > byte.MaxValue || (uint)r.Istio > 7 || (uint)r.Protocol > 7)
        {
            tag = 0;
            return false;
        }

        // Mutual TLS labels only a destination's series (connection_security_policy).
        var mtls = r.Istio == IstioReport.Destination && r.Mtls;
        tag = (uint)code
            | ((ulong)(uint)grpc << 16)
            | ((ulong)r.Flags << 24)
            | ((ulong)r.Istio << 56)
            | ((mtls ? 1UL : 0UL) << 59)
            | ((ulong)r.Protocol << 60)
            | (1UL << 63);
        return true;
    }

    /// <summary>Whether a record is of this memo's edge: its slots hold only the parts that vary on one edge.</summary>
    public bool Covers(in SideRecord r) => r.Source.Equals(_source) && r.Target.Equals(_target);

    public IstioShardCell? Find(ulong tag, in Probe probe)
    {
        // The eight tags compared at once: no branch per slot, whichever slot holds the hit.
        var tags = Vector512.LoadUnsafe(ref _tags[0]);
        var matches = Vector512.ExtractMostSignificantBits(Vector512.Equals(tags, Vector512.Create(tag)));
        while (matches != 0)
        {
            var i = System.Numerics.BitOperations.TrailingZeroCount(matches);
            if (_slots[i].Probe.Matches(probe))
            {
                return _slots[i].Cell;
            }

            matches &= matches - 1;
        }

        return null;
    }

    public void Add(ulong tag, in Probe probe, IstioShardCell cell)
    {
        var i = _next;
        _next = (i + 1) % SlotCount;
        _tags[i] = tag;
        _slots[i] = new Slot(probe, cell);
    }

    /// <summary>Empties the memo for an edge from <paramref name="source"/> to <paramref name="target"/>.</summary>
    public void Reset(NodeRef source, NodeRef target)
    {
        _tags = default;
        _slots = default;
        _next = 0;
        _source = source;
        _target = target;
    }

    /// <summary>
    /// What labels a record's series beyond its edge's nodes and its tag: the two workloads, the
    /// source identity, the destination identity or host (a destination's series has no host,
    /// the others no destination identity) and a waypoint's caller (default otherwise).
    /// </summary>
    internal readonly struct Probe(WorkloadId? sourceWorkload, WorkloadId? destinationWorkload, string sourcePrincipal, string destinationText, NodeRef caller)
    {
        private readonly WorkloadId? _sourceWorkload = sourceWorkload;
        private readonly WorkloadId? _destinationWorkload = destinationWorkload;
        private readonly string _sourcePrincipal = sourcePrincipal;
        private readonly string _destinationText = destinationText;
        private readonly NodeRef _caller = caller;

        public bool Matches(in Probe other) =>
            Same(_sourceWorkload, other._sourceWorkload)
            && Same(_destinationWorkload, other._destinationWorkload)
            && string.Equals(_sourcePrincipal, other._sourcePrincipal, StringComparison.Ordinal)
            && string.Equals(_destinationText, other._destinationText, StringComparison.Ordinal)
            && _caller.Equals(other._caller);

        private static bool Same(WorkloadId? a, WorkloadId? b) => ReferenceEquals(a, b) || (a is not null && a.Equals(b));
    }

    internal readonly record struct Slot(Probe Probe, IstioShardCell Cell);

    [System.Runtime.CompilerServices.InlineArray(SlotCount)]
    internal struct Tags
    {
        private ulong _first;
    }

    [System.Runtime.CompilerServices.InlineArray(SlotCount)]
    internal struct Slots
    {
        private Slot _first;
    }
}
