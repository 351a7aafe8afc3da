using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Query;

/// <summary>The answer of <c>/api/v1/samples</c>: the kept calls of one edge in a window, newest first.</summary>
internal sealed record SamplesDto(DateTimeOffset From, DateTimeOffset To, string Source, string Target, IReadOnlyList<SampleDto> Samples);

/// <summary>
/// One kept call. <c>kinds</c> says why it was kept (<c>failing</c>, <c>slow</c>); absent
/// values are null (no gRPC status, no request id, ...).
/// </summary>
internal sealed record SampleDto(
    DateTimeOffset Time,
    IReadOnlyList<string> Kinds,
    string Reporter,
    string Protocol,
    string? Method,
    string? Path,
    int? Status,
    int? GrpcStatus,
    bool Error,
    IReadOnlyList<string> ResponseFlags,
    string? ResponseCodeDetails,
    double? LatencyMs,
    long BytesSent,
    long BytesReceived,
    string? UpstreamHost,
    string? UpstreamCluster,
    string? RequestId);

internal static class SampleQueries
{
    public static SamplesDto Samples(SampleStore store, QueryWindow window, string source, string target)
    {
        var samples = store.Query(source, target, window.From, window.To)
            .Select(s => ToDto(s.Sample, s.Failing, s.Slow))
            .ToList();
        return new SamplesDto(window.From, window.To, source, target, samples);
    }

    private static SampleDto ToDto(CallSample s, bool failing, bool slow)
    {
        var space = s.Endpoint.IndexOf(' ', StringComparison.Ordinal);
        string? method = null, path = null;
        if (s.Endpoint.Length > 0)
        {
            method = space > 0 ? s.Endpoint[..space] : null;
            path = space > 0 ? s.Endpoint[(space + 1)..] : s.Endpoint;
        }

        var flags = new List<string>();
        for (var i = 0; i < ResponseFlagSet.Count; i++)
        {
            if ((s.Flags & (1u << i)) != 0)
            {
                flags.Add(ResponseFlagSet.ShortName(i));
            }
        }

        List<string> kinds = [];
        if (failing)
        {
            kinds.Add("failing");
        }

        if (slow)
        {
            kinds.Add("slow");
        }

        var http = s.Protocol != TrafficProtocol.Tcp;
        return new SampleDto(
            s.Time,
            kinds,
            s.Reporter == ReporterSide.Client ? "client" : "server",
            s.Protocol switch { TrafficProtocol.Grpc => "grpc", TrafficProtocol.Tcp => "tcp", _ => "http" },
            method,
            path,
            http ? s.StatusCode : null,
            s.Details.GrpcStatus >= 0 ? s.Details.GrpcStatus : null,
            s.Error,
            flags,
            NullIfEmpty(s.Details.ResponseCodeDetails),
            s.LatencyMicros >= 0 ? s.LatencyMicros / 1000.0 : null,
            s.BytesSent,
            s.BytesReceived,
            NullIfEmpty(s.Details.UpstreamHost),
            NullIfEmpty(s.Details.UpstreamCluster),
            NullIfEmpty(s.Details.RequestId));
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
