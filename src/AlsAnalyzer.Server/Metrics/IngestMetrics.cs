using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Ingest;
using AlsAnalyzer.Core.Metrics;
using Prometheus;

namespace AlsAnalyzer.Server.Metrics;

/// <summary>
/// The service's own metrics, in a registry of its own (no default process/.NET collectors,
/// so the exposition passes <c>promtool check metrics</c>). Ingest adds to them once per
/// message, never per entry. Accounting: <c>als_entries_received_total ==
/// als_entries_analyzed_total + als_entries_unattributed_total + sum(als_entries_rejected_total)</c>.
/// </summary>
internal sealed class IngestMetrics
{
    private readonly Counter _streamsTotal;
    private readonly Gauge _streamsOpen;
    private readonly Counter _messages;
    private readonly Counter _messageBytes;
    private readonly Counter _messagesRejected;
    private readonly Counter _received;
    private readonly Counter _analyzed;
    private readonly Counter _unattributed;
    private readonly Counter.Child[] _rejected;
    private readonly Counter _peerErrors;
    private readonly Counter _connectionsRejected;
    private readonly Histogram _messageDuration;
    private readonly Gauge _series;
    private readonly Gauge _minutes;
    private readonly Counter _overflow;
    private readonly Gauge _shards;
    private readonly Counter _collectorWaits;
    private readonly Counter _families;
    private readonly Counter _samples;
    private readonly Counter _samplesAccepted;
    private readonly Counter.Child[] _samplesRejected;
    private readonly Gauge _proxies;
    private readonly Gauge _tableEntries;
    private readonly Gauge _tableCapacity;
    private readonly Counter _tableOverflow;

    /// <param name="services">
    /// The pipeline's lookup tables are read from it at scrape time: the pipeline is not resolved
    /// here, because this is resolved while Kestrel is configured (for the preface check) and the
    /// pipeline's dependencies (the analyzer chain, the Kubernetes cache) must not be built then.
    /// </param>
    public IngestMetrics(Aggregator aggregator, ProxyRegistry proxies, IServiceProvider services)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        _streamsTotal = f.CreateCounter("als_streams_total", "Ingest streams opened, by API.", "api");
        _streamsOpen = f.CreateGauge("als_streams_open", "Ingest streams currently open, by API.", "api");
        _messages = f.CreateCounter("als_messages_received_total", "gRPC messages received on ingest streams.");
        _messageBytes = f.CreateCounter("als_message_bytes_received_total", "Payload bytes of gRPC messages received on ingest streams.");
        _messagesRejected = f.CreateCounter(
            "als_messages_rejected_total",
            "Messages not analysed: malformed protobuf, oversized, or no identifier on a stream's first message.",
            "reason");
        _received = f.CreateCounter("als_entries_received_total", "Access log entries received in well-formed messages.");
        _analyzed = f.CreateCounter("als_entries_analyzed_total", "Entries aggregated with every node identified.");
        _unattributed = f.CreateCounter("als_entries_unattributed_total", "Entries aggregated with at least one node unknown.");
        var rejected = f.CreateCounter("als_entries_rejected_total", "Entries not aggregated, by reason.", "reason");
        _rejected = RejectReasonNames.All.Select(r => rejected.WithLabels(r)).ToArray();
        _peerErrors = f.CreateCounter(
            "als_peer_metadata_errors_total",
            "Peer metadata in filter state that could not be read (the peer is then left to the next analyzer).",
            "reason");
        _connectionsRejected = f.CreateCounter(
            "als_connections_rejected_total",
            "Connections to the ingest port closed before HTTP/2 began, by reason.",
            "reason");
        _messageDuration = f.CreateHistogram(
            "als_ingest_message_duration_seconds",
            "Time to analyse and aggregate one ingest message.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.000_01, 4, 10) });
        _series = f.CreateGauge("als_aggregation_series", "Series held in the minute ring, by dimension.", "dimension");
        _minutes = f.CreateGauge("als_aggregation_buckets", "Minute buckets held in the ring.");
        _overflow = f.CreateCounter(
            "als_aggregation_overflow_total",
            "Records folded into an overflow series because a cardinality cap was reached, by dimension.",
            "dimension");

        _shards = f.CreateGauge(
            "als_aggregation_shards",
            "Ingest aggregation shards: two per core, plus one for each time a writer found every shard claimed.");
        _collectorWaits = f.CreateCounter(
            "als_aggregation_collector_waits_total",
            "Shard buffers the collector swapped out while a writer was still inside, and so waited for that message.");

        _families = f.CreateCounter("als_metric_families_received_total", "Metric families received on metrics service streams.");
        _samples = f.CreateCounter("als_metric_samples_received_total", "Metric samples received on metrics service streams.");
        _samplesAccepted = f.CreateCounter("als_metric_samples_accepted_total", "Metric samples applied to a proxy's state.");
        var samplesRejected = f.CreateCounter("als_metric_samples_rejected_total", "Metric samples not applied, by reason.", "reason");
        _samplesRejected = SampleRejectReasonNames.All.Select(r => samplesRejected.WithLabels(r)).ToArray();
        _proxies = f.CreateGauge("als_proxies_tracked", "Proxies whose metrics service reports are held.");

        // Touch every labelled child so each series exists (at 0) from the first scrape.
        foreach (var reason in new[] { "malformed", "oversized", "missing_identifier" })
        {
            _messagesRejected.WithLabels(reason);
        }

        foreach (var reason in new[] { "unknown_type", "invalid" })
        {
            _peerErrors.WithLabels(reason);
        }

        foreach (var reason in new[] { "not_http2", "preface_timeout" })
        {
            _connectionsRejected.WithLabels(reason);
        }

        foreach (var api in new[] { "accesslog_v3", "accesslog_v2", "metrics_v3", "metrics_v2" })
        {
            _streamsTotal.WithLabels(api);
            _streamsOpen.WithLabels(api);
        }

        _tableEntries = f.CreateGauge("als_decode_table_entries", "Keys held by the fast ingest path's lookup tables, by table.", "table");
        _tableCapacity = f.CreateGauge("als_decode_table_capacity", "Keys a lookup table holds at most (past it, values are made per entry and not kept).", "table");
        _tableOverflow = f.CreateCounter(
            "als_decode_table_overflow_total",
            "Lookups that missed a full table: the value was made for the entry and not kept.",
            "table");
        (string Name, Func<long> Count, Func<long> Capacity, Func<long> Overflow)[]? tables = null;
        Registry.AddBeforeCollectCallback(() =>
        {
            var (edges, endpoints, instances, minutes) = aggregator.SeriesCounts();
            _series.WithLabels("edge").Set(edges);
            _series.WithLabels("endpoint").Set(endpoints);
            _series.WithLabels("instance").Set(instances);
            _minutes.Set(minutes);
            var overflow = aggregator.OverflowTotal;
            _overflow.WithLabels("edge").IncTo(overflow.Edges);
            _overflow.WithLabels("endpoint").IncTo(overflow.Endpoints);
            _overflow.WithLabels("instance").IncTo(overflow.Instances);
            _shards.Set(aggregator.ShardCount);
            _collectorWaits.IncTo(aggregator.SwapsMidMessage);
            _proxies.Set(proxies.Count);
            tables ??= Tables(services.GetRequiredService<IAccessLogPipeline>());
            foreach (var table in tables)
            {
                _tableEntries.WithLabels(table.Name).Set(table.Count());
                _tableCapacity.WithLabels(table.Name).Set(table.Capacity());
                _tableOverflow.WithLabels(table.Name).IncTo(table.Overflow());
            }
        });
    }

    public CollectorRegistry Registry { get; }

    /// <summary>The fast pipeline's lookup tables (none for the other ingest modes).</summary>
    private static (string Name, Func<long> Count, Func<long> Capacity, Func<long> Overflow)[] Tables(IAccessLogPipeline pipeline) =>
        pipeline is FastPipeline fast
            ?
            [
                ("strings", () => fast.Strings.Count, () => fast.Strings.Capacity, () => fast.Strings.Overflow),
                ("endpoints", () => fast.Endpoints.Count, () => fast.Endpoints.Capacity, () => fast.Endpoints.Overflow),
                ("clusters", () => fast.Clusters.Count, () => fast.Clusters.Capacity, () => fast.Clusters.Overflow),
                ("peers", () => fast.Peers.Count, () => fast.Peers.Capacity, () => fast.Peers.Overflow),
            ]
            : [];

    public void StreamOpened(string api)
    {
        _streamsTotal.WithLabels(api).Inc();
        _streamsOpen.WithLabels(api).Inc();
    }

    public void StreamClosed(string api) => _streamsOpen.WithLabels(api).Dec();

    public void MessageReceived(long payloadBytes)
    {
        _messages.Inc();
        _messageBytes.Inc(payloadBytes);
    }

    public void MessageRejected(string reason) => _messagesRejected.WithLabels(reason).Inc();

    public void ConnectionRejected(string reason) => _connectionsRejected.WithLabels(reason).Inc();

    public void ObserveMessageDuration(TimeSpan elapsed) => _messageDuration.Observe(elapsed.TotalSeconds);

    /// <summary>Adds a message's tally to the counters.</summary>
    public void Add(IngestTally t)
    {
        AddIfPositive(_received, t.Received);
        AddIfPositive(_analyzed, t.Analyzed);
        AddIfPositive(_unattributed, t.Unattributed);
        for (var i = 0; i < t.Rejected.Length; i++)
        {
            if (t.Rejected[i] > 0)
            {
                _rejected[i].Inc(t.Rejected[i]);
            }
        }

        if (t.PeerUnknownType > 0)
        {
            _peerErrors.WithLabels("unknown_type").Inc(t.PeerUnknownType);
        }

        if (t.PeerInvalid > 0)
        {
            _peerErrors.WithLabels("invalid").Inc(t.PeerInvalid);
        }
    }

    /// <summary>Adds a metrics message's tally to the counters.</summary>
    public void Add(MetricsTally t)
    {
        AddIfPositive(_families, t.Families);
        AddIfPositive(_samples, t.Samples);
        AddIfPositive(_samplesAccepted, t.Accepted);
        for (var i = 0; i < t.Rejected.Length; i++)
        {
            if (t.Rejected[i] > 0)
            {
                _samplesRejected[i].Inc(t.Rejected[i]);
            }
        }
    }

    private static void AddIfPositive(Counter c, long value)
    {
        if (value > 0)
        {
            c.Inc(value);
        }
    }
}
