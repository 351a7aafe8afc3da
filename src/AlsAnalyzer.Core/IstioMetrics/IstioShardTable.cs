using System.Runtime.InteropServices;
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
        if (!TryKey(r, out var key))
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
                Add(CellFor(key), r, key.IsTcp);
                return;
            }

            memo = Memo(edge);
        }

        var tag = IstioEdgeMemo.Tag(key);
        var cell = memo.Find(key, tag);
        if (cell is null)
        {
            cell = CellFor(key);
            memo.Add(key, tag, cell);
        }
        else
        {
            MemoHits++;
        }

        Add(cell, r, key.IsTcp);
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
        IstioReporter reporter;
        NodeRef source, destination;
        WorkloadId? sourceWorkload, destinationWorkload;
        string sourcePrincipal, destinationPrincipal, host;
        switch (r.Istio)
        {
            case IstioReport.Destination:
                (reporter, source, sourceWorkload, sourcePrincipal) = (IstioReporter.Destination, r.Source, r.SourceWorkload, r.SourcePrincipal);
                (destination, destinationWorkload, destinationPrincipal, host) = (r.Target, r.TargetWorkload, r.TargetPrincipal, string.Empty);
                break;
            case IstioReport.Source:
                (reporter, source, sourceWorkload, sourcePrincipal) = (IstioReporter.Source, r.Source, r.SourceWorkload, string.Empty);
                (destination, destinationWorkload, destinationPrincipal, host) = (r.Target, r.TargetWorkload, string.Empty, r.DestinationHost);
                break;
            case IstioReport.Waypoint:
                (reporter, source, sourceWorkload, sourcePrincipal) = (IstioReporter.Waypoint, r.Caller, r.CallerWorkload, r.CallerPrincipal);
                (destination, destinationWorkload, destinationPrincipal, host) = (r.Target, r.TargetWorkload, string.Empty, r.DestinationHost);
                break;
            case IstioReport.SourceNoUpstream:
                // The gateway's server half: the gateway is the source, nothing was called.
                (reporter, source, sourceWorkload, sourcePrincipal) = (IstioReporter.Source, r.Target, r.TargetWorkload, string.Empty);
                (destination, destinationWorkload, destinationPrincipal, host) = (NodeRef.Unknown, null, string.Empty, string.Empty);
                break;
            case IstioReport.WaypointNoUpstream:
                (reporter, source, sourceWorkload, sourcePrincipal) = (IstioReporter.Waypoint, r.Source, r.SourceWorkload, r.SourcePrincipal);
                (destination, destinationWorkload, destinationPrincipal, host) = (NodeRef.Unknown, null, string.Empty, string.Empty);
                break;
            default:
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

    private IstioEdgeMemo Memo(EdgeStats edge)
    {
        IstioEdgeMemo memo;
        if (_memosUsed < _memos.Count)
        {
            memo = _memos[_memosUsed];
            memo.Clear();
        }
        else
        {
            memo = new IstioEdgeMemo();
            _memos.Add(memo);
        }

        _memosUsed++;
        edge.TableMemo = memo;
        return memo;
    }
}

/// <summary>
/// The cells an edge's records went to, on the edge itself (<see cref="EdgeStats.TableMemo"/>):
/// an edge's records differ mostly by reporter (its two sides), status code and flags, so a few
/// slots find a repeated key without hashing it whole or touching the dictionary. Each slot has
/// a tag of the key's small parts, all in one cache line: a lookup scans the tags and compares
/// the whole key only where a tag matches, so a hit is always right. A miss is looked up and
/// replaces the oldest slot. Valid while the edge's buffer is written: the table hands the
/// memos out again once that buffer is folded.
/// </summary>
internal sealed class IstioEdgeMemo
{
    private const int SlotCount = 8;

    private Tags _tags;
    private Slots _slots;
    private int _next;

    /// <summary>The key's integer parts; never 0, the tag of an empty slot.</summary>
    public static ulong Tag(in IstioKey key) =>
        (ulong)(ushort)key.ResponseCode
        | ((ulong)(byte)key.GrpcStatus << 16)
        | ((ulong)key.Reporter << 24)
        | ((ulong)key.Security << 26)
        | ((ulong)((byte)key.Protocol & 7) << 28)
        | ((ulong)key.Flags << 31)
        | (1UL << 63);

    public IstioShardCell? Find(in IstioKey key, ulong tag)
    {
        for (var i = 0; i < SlotCount; i++)
        {
            if (_tags[i] == tag && _slots[i].Key.Equals(key))
            {
                return _slots[i].Cell;
            }
        }

        return null;
    }

    public void Add(in IstioKey key, ulong tag, IstioShardCell cell)
    {
        var i = _next;
        _next = (i + 1) % SlotCount;
        _tags[i] = tag;
        _slots[i] = new Slot(key, cell);
    }

    public void Clear()
    {
        _tags = default;
        _slots = default;
        _next = 0;
    }

    internal readonly record struct Slot(IstioKey Key, IstioShardCell Cell);

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
