using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Tests.Support;
using AlsAnalyzer.Testing;
using Envoy.Data.Accesslog.V3;

namespace AlsAnalyzer.Core.Tests.Analysis;

/// <summary>Arrange helpers of the EntryAnalyzer tests: the settings, a start time, a sidecar's identity, a call and a connection.</summary>
internal static class EntryAnalyzerArrange
{
    // 12:30:15, five seconds before the test clock, in the same minute.
    public static readonly DateTimeOffset Start = TestMesh.Now.AddSeconds(-5);

    /// <summary>An hour of retention, five minutes of future skew; a new instance for each analyzer and clock.</summary>
    public static AnalysisSettings Settings() => new() { RetentionMinutes = 60, MaxFutureSkew = TimeSpan.FromMinutes(5) };

    public static StreamIdentity Sidecar(Workload w) => StreamIdentityParser.Parse(Nodes.Sidecar(w), "als");

    public static HttpCall Call() => new()
    {
        Source = TestMesh.ProductPage,
        Destination = TestMesh.ReviewsV1,
        Path = "/reviews/0",
        Start = Start,
        Latency = TimeSpan.FromMilliseconds(12),
    };

    public static TcpCall Tcp() => new()
    {
        Source = TestMesh.ProductPage,
        Destination = TestMesh.Ratings,
        Start = Start.AddSeconds(-2),
        Duration = TimeSpan.FromSeconds(2),
    };

    /// <summary>productpage calling https://api.example.com through the PassthroughCluster, no peer metadata.</summary>
    public static HTTPAccessLogEntry PassthroughEntry()
    {
        var entry = Calls.Outbound(Call() with { Encoding = PeerEncoding.None });
        entry.CommonProperties.UpstreamCluster = "PassthroughCluster";
        entry.CommonProperties.UpstreamRemoteAddress = Calls.Socket("93.184.216.34", 443);
        entry.CommonProperties.DownstreamLocalAddress = Calls.Socket("93.184.216.34", 443);
        entry.Request.Authority = "api.example.com";
        return entry;
    }
}
