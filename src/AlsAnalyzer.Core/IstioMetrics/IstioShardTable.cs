using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.IstioMetrics;

/// <summary>
/// One ingest shard's Istio figures since the last collect, by <see cref="IstioKey"/>. The
/// writer finds a record's cell, mostly, through the memo on the record's own edge
/// (<see cref="ShardEdgeStats.Memo"/>): one vector compare of the record's packed integer parts
/// (<see cref="TryTag"/>) against eight tags in the edge the aggregation has just written, then
/// the cell's own key confirms the rest by reference. Else one dictionary lookup. Then three
/// one-compare bucket lookups (<see cref="BucketLookup"/>); no text and no allocation once the
/// key was seen. The collector folds the table into <see cref="IstioSeriesStore"/>, which zeroes
/// the figures but keeps the keys (so a steady mesh allocates nothing) until they stay idle for
/// <see cref="IdleFoldsBeforeRemoval"/> folds.
/// <para>Bounded whatever the input: at most <c>maxCells</c> keys (new keys past it go to one
/// overflow cell per protocol kind, folded into the store's overflow series and counted as
/// folded), idle keys let go at the first idle fold once the table is half full. The memos are
/// part of the shard buffer's edges (counted in its budget) and die with them.</para>
/// </summary>
internal sealed class IstioShardTable(int maxCells = int.MaxValue) : IShardTable
{
    public const int IdleFoldsBeforeRemoval = 120;

    private readonly int _maxCells = maxCells;

    internal Dictionary<IstioKey, IstioShardCell> Cells { get; } = [];

    /// <summary>Records of keys that found the table full since the last fold, by protocol kind (null until one did).</summary>
    internal IstioShardCell? OverflowHttp { get; private set; }

    /// <summary><inheritdoc cref="OverflowHttp"/></summary>
    internal IstioShardCell? OverflowTcp { get; private set; }

    /// <summary>Keys at most (<see cref="IstioMetricsOptions.IstioMaxSeries"/> in the server).</summary>
    internal int MaxCells => _maxCells;

    /// <summary>Records whose cell an edge's memo gave (the rest were looked up in <see cref="Cells"/>).</summary>
    internal long MemoHits { get; private set; }

    /// <summary>Adds a record without an edge to memoise on: one dictionary lookup.</summary>
    /// <remarks>Out of line, as is <see cref="Memoise"/>: their key (a struct of references) would
    /// otherwise be zeroed on entry to the caller at every record, memo hits too.</remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
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

        if (edge is not ShardEdgeStats shardEdge || !TryTag(r, out var tag))
        {
            Record(r);
            return;
        }

        // The eight tags compared at once: no branch per slot, whichever slot holds the hit. A
        // tag match is confirmed by the cell's key (workloads, identities, host; the nodes are
        // the edge's own, see Labels), so a hit is always right.
        ref var memo = ref shardEdge.Memo;
        var matches = Vector512.ExtractMostSignificantBits(Vector512.Equals(Vector512.LoadUnsafe(ref memo.Tags[0]), Vector512.Create(tag)));
        while (matches != 0)
        {
            var i = System.Numerics.BitOperations.TrailingZeroCount(matches);
            var cell = System.Runtime.CompilerServices.Unsafe.As<IstioShardCell>(memo.Refs[i]);
            if (Labels(cell!, r))
            {
                MemoHits++;
                Add(cell!, r, r.Protocol == TrafficProtocol.Tcp);
                return;
            }

            matches &= matches - 1;
        }

        Memoise(r, ref memo, tag);
    }

    /// <summary>A memo miss: the record's cell looked up, then left in the edge's memo (unless it is an overflow cell).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void Memoise(in SideRecord r, ref TableMemo memo, ulong tag)
    {
        TryKey(r, out var key);
        var found = CellFor(key);
        if (!ReferenceEquals(found, OverflowHttp) && !ReferenceEquals(found, OverflowTcp))
        {
            var slot = memo.Next;
            memo.Next = (slot + 1) % TableMemo.SlotCount;
            memo.Tags[slot] = tag;
            memo.Refs[slot] = found;
        }

        Add(found, r, key.IsTcp);
    }

    /// <summary>
    /// The record's integer parts, packed without loss: status code (16 bits), gRPC status + 1
    /// (8), flags (32), which Istio report (3), mutual TLS (1), protocol (3), and a top bit so
    /// that no tag is 0, the tag of an empty slot. False when a part does not fit (such a record
    /// is looked up without the memo).
    /// </summary>
    internal static bool TryTag(in SideRecord r, out ulong tag)
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

    /// <summary>Whether a record whose tag matches a cell's is of that cell's series: the parts the tag does not hold.</summary>
    private static bool Labels(IstioShardCell cell, in SideRecord r)
    {
        ref readonly var key = ref cell.Key;

        // A sidecar's records (most of all) label their nodes with the edge's own (Source,
        // Target), and the tag holds the report kind: the cell was memoised by a record of this
        // kind on this edge, and an edge with a memo is one (source, target) pair (a bucket's
        // overflow edge keeps none, MinuteBucket.EdgeFor), so the nodes are equal already. A
        // destination's series is labelled also by its identities, a source's by its host.
        return r.Istio switch
        {
            IstioReport.Destination => IstioKey.Same(key.SourceWorkload, r.SourceWorkload)
                && IstioKey.Same(key.DestinationWorkload, r.TargetWorkload)
                && Text(key.SourcePrincipal, r.SourcePrincipal)
                && Text(key.DestinationPrincipal, r.TargetPrincipal),
            IstioReport.Source => IstioKey.Same(key.SourceWorkload, r.SourceWorkload)
                && IstioKey.Same(key.DestinationWorkload, r.TargetWorkload)
                && Text(key.DestinationHost, r.DestinationHost),
            _ => AllLabels(key, r),
        };
    }

    /// <summary>Gateways' and waypoints' records: every part compared (kept out of line, so that the sidecars' path sets up none of it).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static bool AllLabels(in IstioKey key, in SideRecord r)
    {
        Parts(r, out _, out var source, out var sourceWorkload, out var sourcePrincipal, out var destination, out var destinationWorkload, out var destinationPrincipal, out var host);
        return key.Source.Equals(source)
            && key.Destination.Equals(destination)
            && IstioKey.Same(key.SourceWorkload, sourceWorkload)
            && IstioKey.Same(key.DestinationWorkload, destinationWorkload)
            && Text(key.SourcePrincipal, sourcePrincipal)
            && Text(key.DestinationPrincipal, destinationPrincipal)
            && Text(key.DestinationHost, host);
    }

    // A key holds empty text where a record may hold null (IstioKey's constructor).
    private static bool Text(string inKey, string? inRecord) =>
        ReferenceEquals(inKey, inRecord) || string.Equals(inKey, inRecord ?? string.Empty, StringComparison.Ordinal);

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
        cell.Observe(IstioCounts.DurationOffset + BucketLookup.Micros.Of(micros));
        cell.Observe(IstioCounts.RequestBytesOffset + BucketLookup.Doubled.Of(requestBytes * 2));
        cell.Observe(IstioCounts.ResponseBytesOffset + BucketLookup.Doubled.Of(responseBytes * 2));
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

            return key.IsTcp ? OverflowTcp ??= new IstioShardCell(default) : OverflowHttp ??= new IstioShardCell(default);
        }

        ref var cell = ref CollectionsMarshal.GetValueRefOrAddDefault(Cells, key, out _);
        return cell ??= new IstioShardCell(key);
    }
}
