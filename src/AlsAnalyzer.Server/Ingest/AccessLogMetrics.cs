using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Ingest;
using AlsAnalyzer.Server.Metrics;
using Prometheus;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// Self-metrics of access log analysis, added once per message, never per entry. Accounting:
/// <c>als_entries_received_total == als_entries_analyzed_total + als_entries_unattributed_total
/// + sum(als_entries_rejected_total)</c>. Also the pipeline's lookup tables, read at scrape time.
/// </summary>
internal sealed class AccessLogMetrics : ISelfMetricsComponent
{
    /// <summary>Peer metadata of a type no reader knows.</summary>
    public const string PeerUnknownType = "unknown_type";

    /// <summary>Peer metadata that does not decode (bad protobuf, truncated FlatBuffer).</summary>
    public const string PeerInvalid = "invalid";

    private readonly Counter _received;
    private readonly Counter _analyzed;
    private readonly Counter _unattributed;
    private readonly Counter.Child[] _rejected;
    private readonly Counter.Child _peerUnknownType;
    private readonly Counter.Child _peerInvalid;
    private readonly Histogram _messageDuration;

    public AccessLogMetrics(SelfMetrics metrics, IAccessLogPipeline pipeline)
    {
        var f = metrics.Factory;
        _received = f.CreateCounter("als_entries_received_total", "Access log entries received in well-formed messages.");
        _analyzed = f.CreateCounter("als_entries_analyzed_total", "Entries aggregated with every node identified.");
        _unattributed = f.CreateCounter("als_entries_unattributed_total", "Entries aggregated with at least one node unknown.");
        _rejected = SelfMetrics.Children(
            f.CreateCounter("als_entries_rejected_total", "Entries not aggregated, by reason.", "reason"),
            RejectReasonNames.All);
        var peerErrors = f.CreateCounter(
            "als_peer_metadata_errors_total",
            "Peer metadata in filter state that could not be read (the peer is then left to the next analyzer).",
            "reason");
        _peerUnknownType = peerErrors.WithLabels(PeerUnknownType);
        _peerInvalid = peerErrors.WithLabels(PeerInvalid);
        _messageDuration = f.CreateHistogram(
            "als_ingest_message_duration_seconds",
            "Time to analyse and aggregate one ingest message.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.000_01, 4, 10) });

        var entries = f.CreateGauge("als_decode_table_entries", "Keys held by the fast ingest path's lookup tables, by table.", "table");
        var capacity = f.CreateGauge("als_decode_table_capacity", "Keys a lookup table holds at most (past it, values are made per entry and not kept).", "table");
        var overflow = f.CreateCounter(
            "als_decode_table_overflow_total",
            "Lookups that missed a full table: the value was made for the entry and not kept.",
            "table");
        var tables = pipeline.Tables;
        metrics.BeforeCollect(() =>
        {
            foreach (var (name, table) in tables)
            {
                entries.WithLabels(name).Set(table.Count);
                capacity.WithLabels(name).Set(table.Capacity);
                overflow.WithLabels(name).IncTo(table.Overflow);
            }
        });
    }

    public void ObserveMessageDuration(TimeSpan elapsed) => _messageDuration.Observe(elapsed.TotalSeconds);

    /// <summary>Adds a message's tally to the counters.</summary>
    public void Add(IngestTally t)
    {
        SelfMetrics.AddIfPositive(_received, t.Received);
        SelfMetrics.AddIfPositive(_analyzed, t.Analyzed);
        SelfMetrics.AddIfPositive(_unattributed, t.Unattributed);
        SelfMetrics.AddEach(_rejected, t.Rejected);
        if (t.PeerUnknownType > 0)
        {
            _peerUnknownType.Inc(t.PeerUnknownType);
        }

        if (t.PeerInvalid > 0)
        {
            _peerInvalid.Inc(t.PeerInvalid);
        }
    }
}
