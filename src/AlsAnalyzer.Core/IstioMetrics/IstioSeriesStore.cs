using System.Collections.Concurrent;
using System.Globalization;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.IstioMetrics;

/// <summary>
/// Istio's standard series, cumulative from process start: the collector folds each ingest
/// shard's <see cref="IstioShardTable"/> into them (<see cref="Fold"/>, as the minute ring's
/// buckets are folded), and the scrape and remote write read them. Ingest never touches it.
/// <list type="bullet">
/// <item>Label values are rendered once per distinct <see cref="IstioKey"/>; keys that render
/// alike (pods of one workload) share their series.</item>
/// <item>At most <see cref="IstioMetricsOptions.IstioMaxSeries"/> label sets; the records of
/// any further one go to an <c>overflow</c> series and are counted (<see cref="FoldedRecords"/>).</item>
/// <item>A label set idle for <see cref="IstioMetricsOptions.IstioSeriesIdleSeconds"/> is dropped.</item>
/// <item>A counter first published at N hides its first N requests from <c>rate()</c> and
/// <c>increase()</c>, which need two samples. So a new series is published at 0 first: its
/// figures are held back (<see cref="IstioSeries.Pending"/>) until every active consumer -
/// the scrape if one came in the last <see cref="ScrapeActiveMilliseconds"/>, remote write if
/// configured - has read it at 0, or at most <see cref="MaxHoldMilliseconds"/>.</item>
/// </list>
/// </summary>
internal sealed class IstioSeriesStore : IShardTables
{
    public const long ScrapeActiveMilliseconds = 5 * 60_000;
    public const long MaxHoldMilliseconds = 5 * 60_000;
    private const long ExpiryEveryMilliseconds = 5_000;

    private readonly Lock _lock = new();
    private readonly IstioMetricsOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentQueue<IstioShardTable> _free = new();
    private readonly Dictionary<IstioKey, IstioSeries> _byKey = [];
    private readonly Dictionary<string[], IstioSeries> _byLabels = new(LabelsComparer.Instance);
    private readonly List<IstioSeries> _held = [];
    private IstioSeries? _overflowHttp;
    private IstioSeries? _overflowTcp;
    private long _foldedRecords;
    private long _expiredSeries;
    private long _lastExpiryMs;
    private long _lastScrapeMs = long.MinValue / 2;

    public IstioSeriesStore(IstioMetricsOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _lastExpiryMs = NowMs;
    }

    /// <summary>Set when remote write is configured: new series then wait for it to read them at 0.</summary>
    public bool RemoteWriteConsumer { get; set; }

    /// <summary>Records added to an overflow series because the series cap was reached.</summary>
    public long FoldedRecords
    {
        get
        {
            lock (_lock)
            {
                return _foldedRecords;
            }
        }
    }

    /// <summary>Label sets dropped for being idle.</summary>
    public long ExpiredSeries
    {
        get
        {
            lock (_lock)
            {
                return _expiredSeries;
            }
        }
    }

    /// <summary>Label sets held now (overflow series included), and how many of them are still held at 0.</summary>
    public (int Series, int Held) Counts()
    {
        lock (_lock)
        {
            return (_byLabels.Count + (_overflowHttp is null ? 0 : 1) + (_overflowTcp is null ? 0 : 1), _held.Count);
        }
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public IShardTable Rent() => _free.TryDequeue(out var table) ? table : new IstioShardTable(_options.IstioMaxSeries);

    public void Fold(IShardTable table)
    {
        var t = (IstioShardTable)table;
        var now = NowMs;
        lock (_lock)
        {
            // A table past half its keys lets idle ones go at once, so distinct keys that come
            // and go (a flood) do not pile up for IdleFoldsBeforeRemoval folds.
            var idleFolds = t.Cells.Count > t.MaxCells / 2 ? 0 : IstioShardTable.IdleFoldsBeforeRemoval;
            foreach (var (key, cell) in t.Cells)
            {
                if (cell.Records == 0)
                {
                    if (++cell.IdleFolds > idleFolds)
                    {
                        t.Cells.Remove(key);
                    }

                    continue;
                }

                cell.IdleFolds = 0;
                var series = SeriesFor(key, now);
                if (ReferenceEquals(series, _overflowHttp) || ReferenceEquals(series, _overflowTcp))
                {
                    _foldedRecords += cell.Records;
                }

                (series.Pending ?? series.Published).Add(cell);
                series.LastUpdateMs = now;
                cell.Clear();
            }

            FoldOverflow(t.OverflowHttp, tcp: false, now);
            FoldOverflow(t.OverflowTcp, tcp: true, now);
            ReleaseHeld(now);
            if (now - _lastExpiryMs >= ExpiryEveryMilliseconds)
            {
                _lastExpiryMs = now;
                Expire(now);
            }
        }

        _free.Enqueue(t);
    }

    /// <summary>Under the lock: the records of keys that found a shard table full go to the overflow series, counted.</summary>
    private void FoldOverflow(IstioShardCell? cell, bool tcp, long now)
    {
        if (cell is null || cell.Records == 0)
        {
            return;
        }

        var series = Overflow(tcp, now);
        _foldedRecords += cell.Records;
        series.Published.Add(cell);
        series.LastUpdateMs = now;
        cell.Clear();
    }

    /// <summary>Under the lock: the series the records past the caps go to, one per protocol kind, made on first use.</summary>
    private IstioSeries Overflow(bool tcp, long now) => tcp
        ? _overflowTcp ??= new IstioSeries(OverflowValues("tcp"), tcp: true, now, held: false)
        : _overflowHttp ??= new IstioSeries(OverflowValues("http"), tcp: false, now, held: false);

    /// <summary>Writes every series (the scrape), then counts the held ones as seen at 0 by the scrape.</summary>
    public void WriteText(System.Buffers.IBufferWriter<byte> output, bool openMetrics)
    {
        lock (_lock)
        {
            var now = NowMs;
            _lastScrapeMs = now;
            ReleaseHeld(now);
            IstioTextWriter.Write(output, AllSeries(), openMetrics);
            foreach (var s in _held)
            {
                s.SeenByScrape = true;
            }
        }
    }

    /// <summary>
    /// Remote write: a copy of every series' published figures, taken at <paramref name="timestampMs"/>;
    /// then counts the held ones as seen at 0 by remote write.
    /// </summary>
    public List<(IstioSeries Series, IstioCounts Counts)> Snapshot(out long timestampMs)
    {
        lock (_lock)
        {
            timestampMs = NowMs;
            ReleaseHeld(timestampMs);
            var list = new List<(IstioSeries, IstioCounts)>(_byLabels.Count + 2);
            foreach (var s in AllSeries())
            {
                var copy = new IstioCounts();
                copy.Add(s.Published);
                list.Add((s, copy));
            }

            foreach (var s in _held)
            {
                s.SeenByRemote = true;
            }

            return list;
        }
    }

    /// <summary>
    /// Publishes every held series now, whoever has seen it (the last push at shutdown: no
    /// consumer will read them again, so their figures would otherwise be lost).
    /// </summary>
    public void ReleaseAllHeld()
    {
        lock (_lock)
        {
            foreach (var s in _held)
            {
                s.Published.Add(s.Pending!);
                s.Pending = null;
            }

            _held.Clear();
        }
    }

    private IEnumerable<IstioSeries> AllSeries()
    {
        foreach (var s in _byLabels.Values)
        {
            yield return s;
        }

        if (_overflowHttp is not null)
        {
            yield return _overflowHttp;
        }

        if (_overflowTcp is not null)
        {
            yield return _overflowTcp;
        }
    }

    private IstioSeries SeriesFor(in IstioKey key, long now)
    {
        if (_byKey.TryGetValue(key, out var series) && !series.Expired)
        {
            return series;
        }

        var values = Render(key);
        if (!_byLabels.TryGetValue(values, out series))
        {
            if (_byLabels.Count >= _options.IstioMaxSeries)
            {
                series = Overflow(key.IsTcp, now);
            }
            else
            {
                series = new IstioSeries(values, key.IsTcp, now, held: true);
                _byLabels.Add(values, series);
                _held.Add(series);
            }
        }

        // Bounded: keys of series past the cap are rendered again at each fold rather than kept.
        if (_byKey.Count < 4 * _options.IstioMaxSeries || _byKey.ContainsKey(key))
        {
            _byKey[key] = series;
        }

        return series;
    }

    private void ReleaseHeld(long now)
    {
        var scrapeActive = now - _lastScrapeMs < ScrapeActiveMilliseconds;
        for (var i = _held.Count - 1; i >= 0; i--)
        {
            var s = _held[i];
            var seen = (!scrapeActive || s.SeenByScrape) && (!RemoteWriteConsumer || s.SeenByRemote);
            if (seen || s.Expired || now - s.BornMs > MaxHoldMilliseconds)
            {
                s.Published.Add(s.Pending!);
                s.Pending = null;
                _held[i] = _held[^1];
                _held.RemoveAt(_held.Count - 1);
            }
        }
    }

    private void Expire(long now)
    {
        var oldest = now - (_options.IstioSeriesIdleSeconds * 1000L);
        List<string[]>? dropped = null;
        foreach (var (labels, s) in _byLabels)
        {
            if (s.LastUpdateMs < oldest)
            {
                s.Expired = true;
                (dropped ??= []).Add(labels);
            }
        }

        if (_overflowHttp is { } h && h.LastUpdateMs < oldest)
        {
            h.Expired = true;
            _overflowHttp = null;
        }

        if (_overflowTcp is { } t && t.LastUpdateMs < oldest)
        {
            t.Expired = true;
            _overflowTcp = null;
        }

        if (dropped is null)
        {
            return;
        }

        foreach (var labels in dropped)
        {
            _byLabels.Remove(labels);
        }

        _expiredSeries += dropped.Count;
        _held.RemoveAll(s => s.Expired);
        foreach (var (key, s) in _byKey)
        {
            if (s.Expired)
            {
                _byKey.Remove(key);
            }
        }
    }

    private static string[] OverflowValues(string protocol)
    {
        var values = new string[IstioNames.Labels.Length];
        Array.Fill(values, IstioNames.Overflow);
        values[IstioNames.Protocol] = protocol;
        return values;
    }

    /// <summary>Istio's label values for a key; <c>unknown</c> for what the access logs did not say.</summary>
    internal static string[] Render(in IstioKey key)
    {
        var v = new string[IstioNames.Labels.Length];
        v[IstioNames.Reporter] = key.Reporter switch
        {
            IstioReporter.Destination => "destination",
            IstioReporter.Waypoint => "waypoint",
            _ => "source",
        };
        Side(v, IstioNames.SourceWorkload, key.Source, key.SourceWorkload, key.SourcePrincipal);
        Side(v, IstioNames.DestinationWorkload, key.Destination, key.DestinationWorkload, key.DestinationPrincipal);

        // The destination service: the upstream cluster's host, else the destination's own
        // service (a server-side entry's cluster names none), as its FQDN.
        var d = key.Destination;
        var host = key.DestinationHost.Length > 0 ? key.DestinationHost
            : d.Kind is NodeKind.Service or NodeKind.Gateway && d.Namespace.Length > 0 ? $"{d.Name}.{d.Namespace}.svc.cluster.local"
            : d.Kind == NodeKind.External ? d.Name
            : IstioNames.Unknown;
        string serviceName, serviceNamespace;
        if (UpstreamCluster.TrySplitServiceFqdn(host, out var ns, out var name))
        {
            (serviceName, serviceNamespace) = (name, ns);
        }
        else
        {
            serviceName = host;
            serviceNamespace = host != IstioNames.Unknown && d.Namespace.Length > 0 ? d.Namespace : IstioNames.Unknown;
        }

        v[IstioNames.DestinationService] = host;
        v[IstioNames.DestinationServiceName] = serviceName;
        v[IstioNames.DestinationServiceNamespace] = serviceNamespace;
        v[IstioNames.Protocol] = key.Protocol switch
        {
            TrafficProtocol.Grpc => "grpc",
            TrafficProtocol.Tcp => "tcp",
            _ => "http",
        };
        v[IstioNames.ResponseCode] = key.ResponseCode.ToString(CultureInfo.InvariantCulture);
        v[IstioNames.GrpcStatus] = key.GrpcStatus >= 0 ? key.GrpcStatus.ToString(CultureInfo.InvariantCulture) : string.Empty;
        v[IstioNames.ResponseFlags] = ResponseFlagSet.Format(key.Flags);
        v[IstioNames.SecurityPolicy] = key.Security switch
        {
            SecurityPolicy.MutualTls => "mutual_tls",
            SecurityPolicy.None => "none",
            _ => IstioNames.Unknown,
        };
        return v;
    }

    /// <summary>The eight workload labels of one side, from <paramref name="first"/> (source_workload or destination_workload) on.</summary>
    private static void Side(string[] v, int first, NodeRef node, WorkloadId? workload, string principal)
    {
        // Workload labels come from what identified the workload (peer metadata, the
        // Kubernetes index, the node metadata); a node guessed from a cluster name has none.
        var isWorkload = workload is not null && node.Kind is NodeKind.Service or NodeKind.Gateway;
        var canonical = isWorkload ? node.Name : IstioNames.Unknown;
        v[first] = OrUnknown(workload?.Workload);
        v[first + 1] = (isWorkload || node.Kind == NodeKind.Unknown) && node.Namespace.Length > 0 ? node.Namespace : IstioNames.Unknown;
        v[first + 2] = OrUnknown(principal);
        v[first + 3] = canonical;
        if (first == IstioNames.SourceWorkload)
        {
            v[IstioNames.SourceVersion] = OrUnknown(workload?.Version);
            v[IstioNames.SourceCanonical] = canonical;
            v[IstioNames.SourceRevision] = workload?.Version is { Length: > 0 } r ? r : IstioNames.Latest;
            v[IstioNames.SourceCluster] = OrUnknown(workload?.Cluster);
        }
        else
        {
            v[IstioNames.DestinationVersion] = OrUnknown(workload?.Version);
            v[IstioNames.DestinationCanonical] = canonical;
            v[IstioNames.DestinationRevision] = workload?.Version is { Length: > 0 } r ? r : IstioNames.Latest;
            v[IstioNames.DestinationCluster] = OrUnknown(workload?.Cluster);
        }
    }

    private static string OrUnknown(string? value) => string.IsNullOrEmpty(value) ? IstioNames.Unknown : value;

    private sealed class LabelsComparer : IEqualityComparer<string[]>
    {
        public static readonly LabelsComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(string[] obj)
        {
            var h = default(HashCode);
            foreach (var s in obj)
            {
                h.Add(s, StringComparer.Ordinal);
            }

            return h.ToHashCode();
        }
    }
}
