using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Query;

/// <summary>Turns aggregated side figures into their API shape.</summary>
internal static class Figures
{
    public static string ProtocolName(TrafficProtocol p) => p switch
    {
        TrafficProtocol.Grpc => "grpc",
        TrafficProtocol.Tcp => "tcp",
        _ => "http",
    };

    public static LatencyDto? Latency(SideStats s) => Latency(s.Latency, s.LatencySumMicros);

    public static LatencyDto? Latency(in LatencyHistogram h, long sumMicros)
    {
        if (h.Count == 0)
        {
            return null;
        }

        return new LatencyDto(
            Ms(sumMicros / (double)h.Count),
            Ms(h.Quantile(0.50)),
            Ms(h.Quantile(0.90)),
            Ms(h.Quantile(0.95)),
            Ms(h.Quantile(0.99)));
    }

    public static FiguresDto Of(SideStats s, bool tcp, bool serverSide) => new()
    {
        Requests = tcp ? null : s.Requests,
        Errors = s.Errors,
        StatusCodes = tcp ? null : StatusCodes(s),
        LatencyMs = tcp ? null : Latency(s),
        Mtls = serverSide && s.TlsKnown > 0 ? Math.Round(s.Mtls / (double)s.TlsKnown, 4) : null,
        BytesSent = s.BytesSent,
        BytesReceived = s.BytesReceived,
        Connections = tcp ? s.Connections : null,
        ConnectionsOpened = tcp ? s.ConnectionsOpened : null,
        Blocked = s.Blocked > 0 ? s.Blocked : null,
        Passthrough = s.Passthrough > 0 ? s.Passthrough : null,
        ResponseFlags = Flags(s),
    };

    public static EdgeDto Edge(EdgeKey key, EdgeStats stats)
    {
        var tcp = key.Protocol == TrafficProtocol.Tcp;
        return new EdgeDto(Top(stats, tcp), key.Source.Id, key.Target.Id, ProtocolName(key.Protocol), stats.Server is not null ? "server" : "client")
        {
            Client = stats.Client is null ? null : Of(stats.Client, tcp, serverSide: false),
            Server = stats.Server is null ? null : Of(stats.Server, tcp, serverSide: true),
        };
    }

    public static EndpointDto Endpoint(EndpointKey key, EdgeStats stats)
    {
        var tcp = key.Protocol == TrafficProtocol.Tcp;
        return new EndpointDto(Top(stats, tcp), key.Endpoint, ProtocolName(key.Protocol))
        {
            Client = stats.Client is null ? null : Of(stats.Client, tcp, serverSide: false),
            Server = stats.Server is null ? null : Of(stats.Server, tcp, serverSide: true),
        };
    }

    /// <summary>The top-level figures: the server side's when the server reported, else the client's.</summary>
    private static FiguresDto Top(EdgeStats stats, bool tcp) => Of(stats.Preferred!, tcp, serverSide: stats.Server is not null);

    private static Dictionary<string, long> StatusCodes(SideStats s)
    {
        var d = new Dictionary<string, long>(SideStats.StatusClassNames.Length);
        for (var i = 0; i < SideStats.StatusClassNames.Length; i++)
        {
            d[SideStats.StatusClassNames[i]] = s.StatusClasses[i];
        }

        return d;
    }

    private static Dictionary<string, long>? Flags(SideStats s)
    {
        if (s.FlagCounts is null)
        {
            return null;
        }

        var d = new Dictionary<string, long>();
        for (var i = 0; i < ResponseFlagSet.Count; i++)
        {
            if (s.FlagCounts[i] > 0)
            {
                d[ResponseFlagSet.ShortName(i)] = s.FlagCounts[i];
            }
        }

        return d;
    }

    private static double Ms(double micros) => Math.Round(micros / 1000.0, 3);
}
