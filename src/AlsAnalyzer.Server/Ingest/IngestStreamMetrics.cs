using AlsAnalyzer.Server.Metrics;
using Prometheus;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>Self-metrics of the ingest port, whatever the service: connections, streams, messages and rejected messages.</summary>
internal sealed class IngestStreamMetrics : ISelfMetricsComponent
{
    private readonly Counter _streamsTotal;
    private readonly Gauge _streamsOpen;
    private readonly Counter _messages;
    private readonly Counter _messageBytes;
    private readonly Counter _messagesRejected;
    private readonly Counter _connectionsRejected;

    public IngestStreamMetrics(SelfMetrics metrics)
    {
        var f = metrics.Factory;
        _streamsTotal = f.CreateCounter("als_streams_total", "Ingest streams opened, by API.", "api");
        _streamsOpen = f.CreateGauge("als_streams_open", "Ingest streams currently open, by API.", "api");
        _messages = f.CreateCounter("als_messages_received_total", "gRPC messages received on ingest streams.");
        _messageBytes = f.CreateCounter("als_message_bytes_received_total", "Payload bytes of gRPC messages received on ingest streams.");
        _messagesRejected = f.CreateCounter(
            "als_messages_rejected_total",
            "Messages not analysed, by reason: malformed protobuf, oversized, no identifier on a stream's first message, or a gRPC frame that cannot be read (compression, truncated, bad_frame).",
            "reason");
        _connectionsRejected = f.CreateCounter(
            "als_connections_rejected_total",
            "Connections to the ingest port closed before HTTP/2 began, by reason.",
            "reason");

        // Touch every labelled child so each series exists (at 0) from the first scrape.
        SelfMetrics.Children(_messagesRejected, MessageRejectReasons.All);
        SelfMetrics.Children(_connectionsRejected, ConnectionRejectReasons.All);
        foreach (var api in IngestApis.All)
        {
            _streamsTotal.WithLabels(api);
            _streamsOpen.WithLabels(api);
        }
    }

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
}

/// <summary>The <c>api</c> label values: one per ingest service and version.</summary>
internal static class IngestApis
{
    public const string AccessLogV3 = "accesslog_v3";
    public const string AccessLogV2 = "accesslog_v2";
    public const string MetricsV3 = "metrics_v3";
    public const string MetricsV2 = "metrics_v2";

    public static readonly string[] All = [AccessLogV3, AccessLogV2, MetricsV3, MetricsV2];
}

/// <summary>The <c>reason</c> label values of <c>als_messages_rejected_total</c>.</summary>
internal static class MessageRejectReasons
{
    /// <summary>The payload does not parse; the stream goes on.</summary>
    public const string Malformed = "malformed";

    /// <summary>Larger than the limit; the stream ends with RESOURCE_EXHAUSTED.</summary>
    public const string Oversized = "oversized";

    /// <summary>A stream's first message has no identifier; the stream ends with INVALID_ARGUMENT.</summary>
    public const string MissingIdentifier = "missing_identifier";

    /// <summary>
    /// A compressed frame without <c>grpc-encoding</c> (INTERNAL), with an encoding the server
    /// does not support (UNIMPLEMENTED), or that does not decompress (INVALID_ARGUMENT); the stream ends.
    /// </summary>
    public const string Compression = "compression";

    /// <summary>The stream ended inside a frame (a cut header, or fewer bytes than its length prefix); INTERNAL.</summary>
    public const string Truncated = "truncated";

    /// <summary>A frame header whose compressed flag is neither 0 nor 1; the stream ends with INVALID_ARGUMENT.</summary>
    public const string BadFrame = "bad_frame";

    public static readonly string[] All = [Malformed, Oversized, MissingIdentifier, Compression, Truncated, BadFrame];
}

/// <summary>The <c>reason</c> label values of <c>als_connections_rejected_total</c>.</summary>
internal static class ConnectionRejectReasons
{
    public const string NotHttp2 = "not_http2";
    public const string PrefaceTimeout = "preface_timeout";

    /// <summary>Cleartext (or anything but a TLS handshake) on a TLS ingest port.</summary>
    public const string NotTls = "not_tls";

    /// <summary>The TLS handshake failed for another reason (protocol, cipher, client gave up).</summary>
    public const string TlsHandshakeFailed = "tls_handshake_failed";

    /// <summary>Client certificates are required and none was sent.</summary>
    public const string ClientCertMissing = "client_cert_missing";

    /// <summary>The client certificate does not chain to the client CA, or is expired.</summary>
    public const string ClientCertUntrusted = "client_cert_untrusted";

    /// <summary>The remote IP already holds <c>Als:MaxConnectionsPerIp</c> connections.</summary>
    public const string IpConnectionLimit = "ip_connection_limit";

    public static readonly string[] All = [NotHttp2, PrefaceTimeout, NotTls, TlsHandshakeFailed, ClientCertMissing, ClientCertUntrusted, IpConnectionLimit];
}
