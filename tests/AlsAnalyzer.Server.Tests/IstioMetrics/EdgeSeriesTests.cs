using AlsAnalyzer.Core.IstioMetrics;
using AlsAnalyzer.Core.IstioMetrics.RemoteWrite;
using AlsAnalyzer.Server.IstioMetrics;

namespace AlsAnalyzer.Server.Tests.IstioMetrics;

/// <summary>
/// The compact <c>als_edge_*</c> series: Istio label sets of one edge side summed into it,
/// per-bucket duration counts only for buckets that counted a call, every new series pushed at
/// 0 before its calls, and nothing kept for Istio series that are gone.
/// </summary>
public sealed class EdgeSeriesTests
{
    private static readonly Label Replica = RemoteWriteRequests.Replica("als-a");

    [Fact]
    public void LabelSetsOfOneEdgeSide_SumIntoIt_NewSeriesAtZeroFirst()
    {
        var edges = new EdgeSeries();
        var ok = Series("200", version: "v1");
        var okV2 = Series("200", version: "v2");
        var failed = Series("503", version: "v1");

        // First push: every series is new, so all are at 0 and their calls wait.
        var first = Push(edges, 1000, (ok, Counts(10, bucket: 3)), (okV2, Counts(5, bucket: 3)), (failed, Counts(2, bucket: 6)));
        Assert.All(first, s => Assert.Equal(0, s.Samples[0].Value));
        Assert.Equal(7, first.Count); // 2 outcomes, 3 sums, 2 buckets
        Assert.Equal(7, edges.LastPushed);
        Assert.True(edges.Held > 0);
        Assert.Equal(1, edges.Sides);

        // Second push, nothing new: the first calls appear, versions summed.
        var second = Push(edges, 2000, (ok, Counts(10, bucket: 3)), (okV2, Counts(5, bucket: 3)), (failed, Counts(2, bucket: 6)));
        Assert.Equal(0, edges.Held);
        Assert.Equal(15, Value(second, EdgeSeries.Requests, ("response_code", "200")));
        Assert.Equal(2, Value(second, EdgeSeries.Requests, ("response_code", "503")));
        Assert.Equal(17 * 20.0, Value(second, EdgeSeries.DurationMilliseconds));
        Assert.Equal(17 * 100, Value(second, EdgeSeries.RequestBytes));
        Assert.Equal(17 * 1000, Value(second, EdgeSeries.ResponseBytes));
        Assert.Equal(15, Value(second, EdgeSeries.RequestsByDuration, ("le", "10")));
        Assert.Equal(2, Value(second, EdgeSeries.RequestsByDuration, ("le", "100")));
        Assert.DoesNotContain(second, s => s.Labels.Any(l => l.Name is "source_workload" or "destination_version" or "source_version"));
        Assert.All(second.Where(s => s.Labels[0].Value == EdgeSeries.RequestsByDuration), s => Assert.Contains(s.Labels, l => l.Name == "le"));

        // A call in a new latency band: its bucket goes out at 0, its call one push later;
        // the other figures count at once.
        var third = Push(edges, 3000, (ok, Counts(11, bucket: 3, plusOneIn: 9)), (okV2, Counts(5, bucket: 3)), (failed, Counts(2, bucket: 6)));
        Assert.Equal(0, Value(third, EdgeSeries.RequestsByDuration, ("le", "1000")));
        Assert.Equal(16, Value(third, EdgeSeries.Requests, ("response_code", "200")));
        Assert.Equal(1, edges.Held);
        var fourth = Push(edges, 4000, (ok, Counts(11, bucket: 3, plusOneIn: 9)), (okV2, Counts(5, bucket: 3)), (failed, Counts(2, bucket: 6)));
        Assert.Equal(1, Value(fourth, EdgeSeries.RequestsByDuration, ("le", "1000")));
        Assert.Equal(15, Value(fourth, EdgeSeries.RequestsByDuration, ("le", "10")));
        Assert.Equal(0, edges.Held);
    }

    [Fact]
    public void LabelsSortedByName_ReplicaOn_EmptyValuesLeftOut_TcpIgnored()
    {
        var edges = new EdgeSeries();
        var http = Series("200", version: "v1");
        var tcp = new IstioSeries(Values("200", "v1"), tcp: true, 0, held: false);
        var pushed = Push(edges, 1000, (http, Counts(1, bucket: 0)), (tcp, new IstioCounts { TcpOpened = 3, Records = 3 }));
        Assert.Equal(1, edges.Sides);
        foreach (var s in pushed)
        {
            var names = s.Labels.Select(l => l.Name).ToList();
            Assert.Equal(names.Order(StringComparer.Ordinal), names);
            Assert.Contains(s.Labels, l => l.Name == "replica" && l.Value == "als-a");
            Assert.DoesNotContain(s.Labels, l => l.Value.Length == 0);
        }

        // grpc_response_status is empty for HTTP: absent, as in the Istio series.
        Assert.DoesNotContain(pushed, s => s.Labels.Any(l => l.Name == "grpc_response_status"));
    }

    [Fact]
    public void IstioSeriesGone_SideDropped_ARebornLabelSetCountsFromZero()
    {
        var edges = new EdgeSeries();
        var ok = Series("200", version: "v1");
        Push(edges, 1000, (ok, Counts(4, bucket: 2)));
        Assert.Equal(4, Value(Push(edges, 2000, (ok, Counts(4, bucket: 2))), EdgeSeries.Requests, ("response_code", "200")));

        // The Istio series expired: nothing pushed for its side any more.
        Assert.Empty(Push(edges, 3000));
        Assert.Equal(0, edges.Sides);

        // Born again (a new series counting from 0): a new edge side, at 0 first, then its own calls only.
        var again = Series("200", version: "v1");
        Assert.Equal(0, Value(Push(edges, 4000, (again, Counts(3, bucket: 2))), EdgeSeries.Requests, ("response_code", "200")));
        Assert.Equal(3, Value(Push(edges, 5000, (again, Counts(3, bucket: 2))), EdgeSeries.Requests, ("response_code", "200")));
    }

    private static List<TimeSeries> Push(EdgeSeries edges, long atMs, params (IstioSeries Series, IstioCounts Counts)[] snapshot)
    {
        var request = new WriteRequest();
        var n = edges.Add(request, [.. snapshot], atMs, Replica);
        Assert.Equal(request.Timeseries.Count, n);
        Assert.All(request.Timeseries, s => Assert.Equal(atMs, s.Samples[0].Timestamp));
        return [.. request.Timeseries];
    }

    private static double Value(List<TimeSeries> pushed, string name, params (string Name, string Value)[] labels)
    {
        var matches = pushed.Where(s => s.Labels[0].Value == name && labels.All(m => s.Labels.Any(l => l.Name == m.Name && l.Value == m.Value))).ToList();
        Assert.Single(matches);
        return matches[0].Samples[0].Value;
    }

    /// <summary><paramref name="requests"/> calls of 20 ms in one duration bucket (and one more call in <paramref name="plusOneIn"/>).</summary>
    private static IstioCounts Counts(long requests, int bucket, int plusOneIn = -1)
    {
        var c = new IstioCounts { Requests = requests, Records = requests, DurationMicrosSum = requests * 20_000, RequestBytesSum = requests * 100, ResponseBytesSum = requests * 1000 };
        c.Buckets[IstioCounts.DurationOffset + bucket] = requests;
        if (plusOneIn >= 0)
        {
            c.Buckets[IstioCounts.DurationOffset + bucket]--;
            c.Buckets[IstioCounts.DurationOffset + plusOneIn]++;
        }

        return c;
    }

    private static IstioSeries Series(string code, string version) => new(Values(code, version), tcp: false, 0, held: false);

    private static string[] Values(string code, string version)
    {
        var v = new string[IstioNames.Labels.Length];
        Array.Fill(v, IstioNames.Unknown);
        v[IstioNames.Reporter] = "destination";
        v[IstioNames.SourceWorkload] = "productpage-" + version;
        v[IstioNames.SourceNamespace] = "default";
        v[IstioNames.SourceCanonical] = "productpage";
        v[IstioNames.SourceVersion] = version;
        v[IstioNames.DestinationWorkload] = "reviews-v1";
        v[IstioNames.DestinationNamespace] = "default";
        v[IstioNames.DestinationCanonical] = "reviews";
        v[IstioNames.DestinationService] = "reviews.default.svc.cluster.local";
        v[IstioNames.DestinationServiceName] = "reviews";
        v[IstioNames.DestinationServiceNamespace] = "default";
        v[IstioNames.Protocol] = "http";
        v[IstioNames.ResponseCode] = code;
        v[IstioNames.GrpcStatus] = string.Empty;
        v[IstioNames.ResponseFlags] = "-";
        v[IstioNames.SecurityPolicy] = "mutual_tls";
        return v;
    }
}
