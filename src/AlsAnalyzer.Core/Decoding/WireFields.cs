namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// The field numbers the fast decoder reads, by message. A test checks each against the
/// generated descriptors of the project's protos (which the conformance test checks
/// against the official Envoy API).
/// </summary>
internal static class WireFields
{
    public static class StreamAccessLogsMessage
    {
        public const int Identifier = 1;
        public const int HttpLogs = 2;
        public const int TcpLogs = 3;

        /// <summary>In both HTTPAccessLogEntries and TCPAccessLogEntries.</summary>
        public const int LogEntry = 1;
    }

    public static class HttpEntry
    {
        public const int CommonProperties = 1;
        public const int ProtocolVersion = 2;
        public const int Request = 3;
        public const int Response = 4;
    }

    public static class TcpEntry
    {
        public const int CommonProperties = 1;
        public const int ConnectionProperties = 2;
    }

    public static class ConnectionProperties
    {
        public const int ReceivedBytes = 1;
        public const int SentBytes = 2;
    }

    public static class Common
    {
        public const int DownstreamRemoteAddress = 2;
        public const int DownstreamLocalAddress = 3;
        public const int TlsProperties = 4;
        public const int StartTime = 5;
        public const int TimeToLastDownstreamTxByte = 12;
        public const int UpstreamRemoteAddress = 13;
        public const int UpstreamCluster = 15;
        public const int ResponseFlags = 16;
        public const int DownstreamDirectRemoteAddress = 20;
        public const int FilterStateObjects = 21;
        public const int Duration = 23;
        public const int StreamId = 26;
        public const int IntermediateLogEntry = 27;
        public const int DownstreamWireBytesSent = 29;
        public const int DownstreamWireBytesReceived = 30;
        public const int AccessLogType = 33;
    }

    public static class Address
    {
        public const int SocketAddress = 1;
        public const int Pipe = 2;
        public const int EnvoyInternalAddress = 3;
    }

    public static class SocketAddress
    {
        public const int Address = 2;
        public const int PortValue = 3;
    }

    /// <summary>Timestamp and Duration share the layout.</summary>
    public static class Time
    {
        public const int Seconds = 1;
        public const int Nanos = 2;
    }

    public static class ResponseFlags
    {
        /// <summary>The one flag that is a message (presence sets it); all others are bools numbered 1..28.</summary>
        public const int UnauthorizedDetails = 13;
        public const int Last = 28;
    }

    public static class Tls
    {
        public const int LocalCertificateProperties = 4;
        public const int PeerCertificateProperties = 5;
        public const int SubjectAltName = 1;
        public const int SanUri = 1;
        public const int SanDns = 2;
    }

    public static class MapEntry
    {
        public const int Key = 1;
        public const int Value = 2;
    }

    public static class Any
    {
        public const int TypeUrl = 1;
        public const int Value = 2;
    }

    public static class Request
    {
        public const int RequestMethod = 1;
        public const int Authority = 3;
        public const int Path = 5;
        public const int RequestHeadersBytes = 11;
        public const int RequestBodyBytes = 12;
        public const int RequestHeaders = 13;
    }

    public static class Response
    {
        public const int ResponseCode = 1;
        public const int ResponseHeadersBytes = 2;
        public const int ResponseBodyBytes = 3;
        public const int ResponseHeaders = 4;
        public const int ResponseTrailers = 5;
    }

    /// <summary>UInt32Value.</summary>
    public const int WrapperValue = 1;

    public const int WireVarint = 0;
    public const int WireLength = 2;
}
