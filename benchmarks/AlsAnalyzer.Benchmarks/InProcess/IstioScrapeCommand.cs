using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using AlsAnalyzer.Benchmarks.Cli;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.IstioMetrics;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// <c>istio-scrape --series 50000 --runs 30</c>: fills the Istio series store with enough HTTP
/// label sets (each 67 time series: a counter and three 22-line histograms) and TCP ones (4
/// counters each) for about that many time series, with Istio's full label set, then times
/// <see cref="IstioSeriesStore.WriteText"/> - what one <c>/metrics/istio</c> scrape costs on top
/// of the HTTP response - and prints the median and worst of the runs.
/// </summary>
internal static class IstioScrapeCommand
{
    private const int HttpTimeSeries = 1 + (3 * (IstioNamesBuckets + 2));
    private const int IstioNamesBuckets = 20;

    public static int Run(CliArgs args)
    {
        var target = args.Int("series", 50_000);
        var runs = args.Int("runs", 30);
        args.RejectUnknown();

        // Nine HTTP label sets for every TCP one, as in a mostly-HTTP mesh.
        var tcpSets = Math.Max(1, target / ((9 * HttpTimeSeries) + 4));
        var httpSets = (target - (4 * tcpSets)) / HttpTimeSeries;
        var store = new IstioSeriesStore(new IstioMetricsOptions { IstioMaxSeries = httpSets + tcpSets + 10 }, TimeProvider.System);
        var table = (IstioShardTable)store.Rent();
        var workload = new WorkloadId("productpage-v1", "v1", "Kubernetes");
        for (var i = 0; i < httpSets + tcpSets; i++)
        {
            var tcp = i >= httpSets;
            var record = new SideRecord
            {
                Istio = IstioReport.Destination,
                Protocol = tcp ? TrafficProtocol.Tcp : TrafficProtocol.Http,
                Source = NodeRef.Service("ns-" + (i % 20), "caller-" + (i / 7)),
                Target = NodeRef.Service("ns-" + (i % 13), "service-" + (i / 5)),
                SourceWorkload = workload,
                TargetWorkload = new WorkloadId("service-" + (i / 5) + "-v1", "v1", "Kubernetes"),
                SourcePrincipal = "spiffe://cluster.local/ns/ns-" + (i % 20) + "/sa/caller",
                TargetPrincipal = "spiffe://cluster.local/ns/ns-" + (i % 13) + "/sa/service",
                DestinationHost = string.Empty,
                StatusCode = 200 + (i % 5),
                GrpcStatus = -1,
                LatencyMicros = 1000 + i,
                BytesSent = 100 + i,
                BytesReceived = 1000 + i,
                Mtls = true,
                Connections = 1,
                ConnectionsOpened = 1,
            };
            table.Record(record);
        }

        store.Fold(table);
        var output = new ArrayBufferWriter<byte>(64 << 20);
        store.WriteText(output, openMetrics: false);
        var lines = output.WrittenSpan.Count((byte)'\n');
        var series = lines - (8 * 2);
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            output.ResetWrittenCount();
            var sw = Stopwatch.StartNew();
            store.WriteText(output, openMetrics: false);
            times.Add(sw.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        var ci = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(ci, $"istio-scrape: {httpSets + tcpSets} label sets ({httpSets} HTTP, {tcpSets} TCP), {series} time series, {output.WrittenCount / 1024.0 / 1024.0:F1} MiB"));
        Console.WriteLine(string.Create(ci, $"  WriteText over {runs} runs: median {times[times.Count / 2]:F1} ms, best {times[0]:F1} ms, worst {times[^1]:F1} ms"));
        return 0;
    }
}
