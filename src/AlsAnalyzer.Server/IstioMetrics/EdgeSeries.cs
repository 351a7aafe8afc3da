using AlsAnalyzer.Core.IstioMetrics;
using AlsAnalyzer.Core.IstioMetrics.RemoteWrite;

namespace AlsAnalyzer.Server.IstioMetrics;

/// <summary>
/// The <c>als_edge_*</c> series remote write adds to the Istio series: the same HTTP/gRPC calls
/// summed per edge side - only the labels the store-backed API groups by (<see cref="EdgeLabels"/>),
/// without workload, version, app, cluster or destination principal - so that the API's
/// queries read a few compact series per edge side instead of every Istio label set and its
/// 20 duration buckets:
/// <list type="bullet">
/// <item><c>als_edge_requests_total</c>, also by <c>response_code</c>, <c>grpc_response_status</c>,
/// <c>response_flags</c>, <c>connection_security_policy</c>;</item>
/// <item><c>als_edge_request_duration_milliseconds_total</c>, <c>als_edge_request_bytes_total</c>,
/// <c>als_edge_response_bytes_total</c>: the sums of the Istio histograms;</item>
/// <item><c>als_edge_requests_by_duration_total{le}</c>: calls whose duration fell in one of
/// Envoy's buckets, from the previous bound (exclusive) to <c>le</c> - per bucket, not cumulative,
/// and only buckets that counted a call, so an edge side has a series per latency band it saw
/// rather than twenty.</item>
/// </list>
/// They are derived at each push from the pushed Istio series' increases since the previous
/// push, so they count exactly the same calls. Bounded by the Istio series: an edge side exists
/// while one of its Istio label sets does (at most <c>IstioMaxSeries</c>, the overflow series
/// included), and has at most one series per outcome label set, three sums and twenty buckets.
/// Like the Istio series, a new series is pushed at 0 first and its calls one push later, so
/// that <c>increase()</c> counts them.
/// </summary>
internal sealed class EdgeSeries
{
    public const string Requests = "als_edge_requests_total";
    public const string DurationMilliseconds = "als_edge_request_duration_milliseconds_total";
    public const string RequestBytes = "als_edge_request_bytes_total";
    public const string ResponseBytes = "als_edge_response_bytes_total";
    public const string RequestsByDuration = "als_edge_requests_by_duration_total";

    /// <summary>The Istio labels that name an edge side, as the API's queries group by them.</summary>
    public static readonly int[] EdgeLabels =
    [
        IstioNames.Reporter, IstioNames.SourceNamespace, IstioNames.SourceCanonical, IstioNames.SourcePrincipal,
        IstioNames.DestinationService, IstioNames.DestinationServiceNamespace, IstioNames.DestinationServiceName,
        IstioNames.DestinationNamespace, IstioNames.DestinationCanonical, IstioNames.Protocol,
    ];

    private static readonly int[] OutcomeLabels = [IstioNames.ResponseCode, IstioNames.GrpcStatus, IstioNames.ResponseFlags, IstioNames.SecurityPolicy];

    private readonly Lock _lock = new();
    private readonly Dictionary<IstioSeries, Seen> _seen = [];
    private readonly Dictionary<string, Side> _sides = new(StringComparer.Ordinal);
    private int _generation;

    /// <summary>Series pushed at 0 by the last <see cref="Add"/> whose calls wait for the next push.</summary>
    public int Held { get; private set; }

    /// <summary>Series the last <see cref="Add"/> pushed.</summary>
    public int LastPushed { get; private set; }

    /// <summary>Edge sides held now.</summary>
    public int Sides
    {
        get
        {
            lock (_lock)
            {
                return _sides.Count;
            }
        }
    }

    /// <summary>
    /// Folds the increases of <paramref name="snapshot"/> (every Istio series, cumulative) since
    /// the previous call into the edge sides and adds their series to <paramref name="request"/>.
    /// Returns the samples added.
    /// </summary>
    public int Add(WriteRequest request, List<(IstioSeries Series, IstioCounts Counts)> snapshot, long timestampMs, Label replica)
    {
        lock (_lock)
        {
            var generation = ++_generation;
            foreach (var (series, counts) in snapshot)
            {
                if (series.Tcp)
                {
                    continue;
                }

                var side = SideOf(series, generation);
                var previous = _seen.TryGetValue(series, out var seen) ? seen.Counts : null;
                _seen[series] = new Seen(counts, generation);
                if (previous is not null && counts.Requests < previous.Requests)
                {
                    // Not expected (the Istio series only grow): count from zero rather than subtract.
                    previous = null;
                }

                side.Outcome(series.Values).Pending += counts.Requests - (previous?.Requests ?? 0);
                side.DurationMicros.Pending += counts.DurationMicrosSum - (previous?.DurationMicrosSum ?? 0);
                side.RequestBytes.Pending += counts.RequestBytesSum - (previous?.RequestBytesSum ?? 0);
                side.ResponseBytes.Pending += counts.ResponseBytesSum - (previous?.ResponseBytesSum ?? 0);
                for (var i = 0; i < IstioNames.Buckets; i++)
                {
                    var calls = counts.Buckets[IstioCounts.DurationOffset + i] - (previous?.Buckets[IstioCounts.DurationOffset + i] ?? 0);
                    if (calls > 0)
                    {
                        (side.Buckets[i] ??= new Counter()).Pending += calls;
                    }
                }
            }

            // Istio series gone (idle, expired) add nothing more; an edge side none of them feeds is dropped.
            foreach (var (series, seen) in _seen)
            {
                if (seen.Generation != generation)
                {
                    _seen.Remove(series);
                }
            }

            var held = 0;
            var before = request.Timeseries.Count;
            foreach (var (key, side) in _sides)
            {
                if (side.Generation != generation)
                {
                    _sides.Remove(key);
                    continue;
                }

                foreach (var (outcome, counter) in side.Outcomes.Values)
                {
                    Write(request, side, Requests, outcome, counter, 1, timestampMs, replica, ref held);
                }

                Write(request, side, DurationMilliseconds, [], side.DurationMicros, 1000, timestampMs, replica, ref held);
                Write(request, side, RequestBytes, [], side.RequestBytes, 1, timestampMs, replica, ref held);
                Write(request, side, ResponseBytes, [], side.ResponseBytes, 1, timestampMs, replica, ref held);
                for (var i = 0; i < side.Buckets.Length; i++)
                {
                    if (side.Buckets[i] is { } bucket)
                    {
                        Write(request, side, RequestsByDuration, [new Label { Name = RemoteWriteRequests.LeLabel, Value = RemoteWriteRequests.LeValues[i] }], bucket, 1, timestampMs, replica, ref held);
                    }
                }

            }

            Held = held;
            foreach (var name in new[] { Requests, DurationMilliseconds, RequestBytes, ResponseBytes, RequestsByDuration })
            {
                request.Metadata.Add(new MetricMetadata { MetricFamilyName = name, Type = MetricMetadata.Types.MetricType.Counter });
            }

            LastPushed = request.Timeseries.Count - before;
            return LastPushed;
        }
    }

    private Side SideOf(IstioSeries series, int generation)
    {
        var key = string.Join('\u0001', EdgeLabels.Select(i => series.Values[i]));
        if (!_sides.TryGetValue(key, out var side))
        {
            side = new Side([.. EdgeLabels.Where(i => series.Values[i].Length > 0).Select(i => new Label { Name = IstioNames.Labels[i], Value = series.Values[i] })]);
            _sides.Add(key, side);
        }

        side.Generation = generation;
        return side;
    }

    /// <summary>
    /// One sample of <paramref name="counter"/>: 0 the first time (its calls wait in
    /// <see cref="Counter.Pending"/>), then its total with what came since.
    /// </summary>
    private static void Write(WriteRequest request, Side side, string name, Label[] extra, Counter counter, double divisor, long timestampMs, Label replica, ref int held)
    {
        if (counter.Written)
        {
            counter.Value += counter.Pending;
            counter.Pending = 0;
        }
        else
        {
            counter.Written = true;
            held += counter.Pending > 0 ? 1 : 0;
        }

        var ts = new TimeSeries();
        var labels = new List<Label>(side.Labels.Length + extra.Length + 2) { new() { Name = RemoteWriteRequests.NameLabel, Value = name }, replica };
        labels.AddRange(side.Labels);
        labels.AddRange(extra);
        labels.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        ts.Labels.AddRange(labels);
        ts.Samples.Add(new Sample { Value = counter.Value / divisor, Timestamp = timestampMs });
        request.Timeseries.Add(ts);
    }

    private readonly record struct Seen(IstioCounts Counts, int Generation);

    private sealed class Counter
    {
        public long Value;
        public long Pending;
        public bool Written;
    }

    private sealed class Side(Label[] labels)
    {
        public Label[] Labels { get; } = labels;

        public int Generation { get; set; }

        /// <summary>Requests per outcome label set (response code, gRPC status, flags, security policy).</summary>
        public Dictionary<string, (Label[] Labels, Counter Counter)> Outcomes { get; } = new(StringComparer.Ordinal);

        public Counter DurationMicros { get; } = new();

        public Counter RequestBytes { get; } = new();

        public Counter ResponseBytes { get; } = new();

        public Counter?[] Buckets { get; } = new Counter?[IstioNames.Buckets];

        public Counter Outcome(string[] values)
        {
            var key = string.Join('\u0001', OutcomeLabels.Select(i => values[i]));
            if (!Outcomes.TryGetValue(key, out var entry))
            {
                entry = ([.. OutcomeLabels.Where(i => values[i].Length > 0).Select(i => new Label { Name = IstioNames.Labels[i], Value = values[i] })], new Counter());
                Outcomes.Add(key, entry);
            }

            return entry.Counter;
        }
    }
}
