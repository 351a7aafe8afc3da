using System.Runtime.InteropServices;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.IstioMetrics;

/// <summary>
/// One ingest shard's Istio figures since the last collect, by <see cref="IstioKey"/>: the
/// writer adds a record with one dictionary lookup and three bucket searches, no text and no
/// allocation once the key was seen. The collector folds it into <see cref="IstioSeriesStore"/>,
/// which zeroes the figures but keeps the keys (so a steady mesh allocates nothing) until
/// they stay idle for <see cref="IdleFoldsBeforeRemoval"/> folds.
/// </summary>
internal sealed class IstioShardTable : IShardTable
{
    public const int IdleFoldsBeforeRemoval = 120;

    internal Dictionary<IstioKey, IstioCounts> Cells { get; } = [];

    public void Record(in SideRecord r)
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
                return;
        }

        var tcp = r.Protocol == TrafficProtocol.Tcp;
        var security = reporter != IstioReporter.Destination ? SecurityPolicy.Unknown : r.Mtls ? SecurityPolicy.MutualTls : SecurityPolicy.None;
        var key = new IstioKey(
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
        ref var cell = ref CollectionsMarshal.GetValueRefOrAddDefault(Cells, key, out _);
        cell ??= new IstioCounts();
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
        var buckets = cell.Buckets;
        buckets[IstioCounts.DurationOffset + IstioNames.Bucket(micros, IstioNames.MicrosBounds)]++;
        buckets[IstioCounts.RequestBytesOffset + IstioNames.Bucket(requestBytes * 2, IstioNames.DoubledBounds)]++;
        buckets[IstioCounts.ResponseBytesOffset + IstioNames.Bucket(responseBytes * 2, IstioNames.DoubledBounds)]++;
    }
}
