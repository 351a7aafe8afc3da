using System.Globalization;
using Envoy.Config.Core.V3;
using Envoy.Data.Accesslog.V3;
using Google.Protobuf;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// The fields of an access log entry that only a kept sample shows (the fast decoder skips
/// them): read from the entry's bytes with the generated parser, once per kept sample, off
/// the ingest path.
/// </summary>
internal readonly record struct SampleDetails(
    DateTimeOffset? Start,
    string RequestId,
    string ResponseCodeDetails,
    int GrpcStatus,
    string UpstreamHost,
    string UpstreamCluster)
{
    public static readonly SampleDetails None = new(null, string.Empty, string.Empty, -1, string.Empty, string.Empty);

    /// <summary>Reads an <c>HTTPAccessLogEntry</c> (<paramref name="http"/>) or a <c>TCPAccessLogEntry</c>; <see cref="None"/> when the bytes do not parse.</summary>
    public static SampleDetails Read(byte[]? entry, bool http)
    {
        if (entry is null)
        {
            return None;
        }

        try
        {
            if (http)
            {
                var e = HTTPAccessLogEntry.Parser.ParseFrom(entry);
                return Common(e.CommonProperties) with
                {
                    RequestId = e.Request?.RequestId ?? string.Empty,
                    ResponseCodeDetails = e.Response?.ResponseCodeDetails ?? string.Empty,
                    GrpcStatus = ProtocolDetector.GrpcStatus(e) ?? -1,
                };
            }

            var t = TCPAccessLogEntry.Parser.ParseFrom(entry);
            return Common(t.CommonProperties) with { ResponseCodeDetails = t.CommonProperties?.ConnectionTerminationDetails ?? string.Empty };
        }
        catch (InvalidProtocolBufferException)
        {
            return None;
        }
    }

    private static SampleDetails Common(AccessLogCommon? common) => common is null
        ? None
        : None with
        {
            Start = common.StartTime is { } start ? start.ToDateTimeOffset() : null,
            UpstreamHost = Address(common.UpstreamRemoteAddress),
            UpstreamCluster = common.UpstreamCluster,
        };

    private static string Address(Address? address) => address?.SocketAddress is { } socket
        ? (socket.Address.Contains(':', StringComparison.Ordinal) ? "[" + socket.Address + "]" : socket.Address)
            + ":" + socket.PortValue.ToString(CultureInfo.InvariantCulture)
        : string.Empty;
}
