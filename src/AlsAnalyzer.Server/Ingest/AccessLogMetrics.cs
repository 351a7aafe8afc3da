using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Ingest;
using AlsAnalyzer.Core.Peers;
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

    /// <summary>The <c>reason</c> of <c>als_peer_metadata_errors_total</c> per <see cref="PeerDecodeStatus"/> (null: not an error).</summary>
    private static readonly string?[] PeerReasons = Enum.GetValues<PeerDecodeStatus>().Select(s => s switch
    {
        PeerDecodeStatus.UnknownType => PeerUnknownType,
        PeerDecodeStatus.Invalid => PeerInvalid,
        PeerDecodeStatus.TooLarge => "too_large",
        PeerDecodeStatus.TooManyFields => "too_many_fields",
        PeerDecodeStatus.TooDeep => "too_deep",
        PeerDecodeStatus.StringTooLong => "string_too_long",
        _ => null,
    }).ToArray();

    private readonly Counter _received;
    private readonly Counter _analyzed;
    private readonly Counter _unattributed;
    private readonly Counter.Child[] _rejected;
    private readonly Counter.Child?[] _peerErrors;
    private readonly Counter _invalidStatusCodes;
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
        _peerErrors = [.. PeerReasons.Select(r => r is null ? null : peerErrors.WithLabels(r))];
        _invalidStatusCodes = f.CreateCounter(
            "als_entries_invalid_status_code_total",
            "HTTP entries whose response code is not an HTTP status (outside 100-599): aggregated in status class 0 and as errors.");
        _messageDuration = f.CreateHistogram(
            "als_ingest_message_duration_seconds",
            "Time to analyse and aggregate one ingest message.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.000_01, 4, 10) });

        var entries = f.CreateGauge("als_decode_table_entries", "Keys held by the ingest path's lookup tables, by table.", "table");
        var capacity = f.CreateGauge("als_decode_table_capacity", "Keys a lookup table holds at most (past it, the table starts empty again).", "table");
        var bytes = f.CreateGauge("als_decode_table_bytes", "Bytes held by a lookup table (estimated: slots, long keys, values).", "table");
        var byteCapacity = f.CreateGauge("als_decode_table_byte_capacity", "Bytes a lookup table holds at most (past it, the table starts empty again).", "table");
        var overflow = f.CreateCounter(
            "als_decode_table_overflow_total",
            "Values made for an entry and not kept because one key alone passes the table's bounds.",
            "table");
        var resets = f.CreateCounter(
            "als_decode_table_resets_total",
            "Times a lookup table was emptied to stay within its key or byte bound (keys in use come back on their next sight).",
            "table");
        var tooLong = f.CreateCounter(
            "als_decode_table_too_long_total",
            "Keys longer than a table keeps: endpoints cut to /{truncated}, names folded to (too long), other keys not kept.",
            "table");
        var tables = pipeline.Tables;
        metrics.BeforeCollect(() =>
        {
            foreach (var (name, table) in tables)
            {
                entries.WithLabels(name).Set(table.Count);
                capacity.WithLabels(name).Set(table.Capacity);
                bytes.WithLabels(name).Set(table.Bytes);
                byteCapacity.WithLabels(name).Set(table.ByteCapacity);
                overflow.WithLabels(name).IncTo(table.Overflow);
                resets.WithLabels(name).IncTo(table.Resets);
                tooLong.WithLabels(name).IncTo(table.TooLong);
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
        for (var i = 0; i < _peerErrors.Length; i++)
        {
            if (t.PeerErrors[i] > 0)
            {
                _peerErrors[i]?.Inc(t.PeerErrors[i]);
            }
        }

        if (t.InvalidStatusCodes > 0)
        {
            _invalidStatusCodes.Inc(t.InvalidStatusCodes);
        }
    }
}
