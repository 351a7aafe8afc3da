using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using AlsAnalyzer.Benchmarks.Cli;
using AlsAnalyzer.Core.IstioMetrics;
using AlsAnalyzer.Core.IstioMetrics.RemoteWrite;
using AlsAnalyzer.Core.Query;
using AlsAnalyzer.Server.IstioMetrics;
using AlsAnalyzer.Server.StoreQueries;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Benchmarks.StoreQuery;

/// <summary>
/// The API's topology answered from a Prometheus-compatible store: a synthetic mesh of
/// <c>--services</c> services (each calling <c>--callees</c> others, a tenth of the edges also
/// answering 503), as <c>--replicas</c> replicas would remote-write it every <c>--interval</c>
/// seconds for <c>--minutes</c> minutes (backfilled), then the store-backed topology (the
/// same PromQL and code as the API, limit 500) timed over 15 and 60 minutes. Also the cost of
/// one replica's push: building and encoding one snapshot of its series.
/// </summary>
internal static class StoreQueryCommand
{
    private static readonly int[] Windows = [15, 60];
    private static readonly string[] Reporters = ["source", "destination"];

    public static async Task<int> RunAsync(CliArgs args)
    {
        var services = args.Int("services", 1000);
        var callees = args.Int("callees", 2);
        var replicas = args.Int("replicas", 2);
        var minutes = args.Int("minutes", 60);
        var interval = args.Int("interval", 60);
        var rounds = args.Int("rounds", 7);
        var storeUrl = args.String("store");
        var perQuery = args.Flag("per-query");
        var writtenAt = args.String("written-at");
        args.RejectUnknown();

        Process? vm = null;
        DirectoryInfo? dir = null;
        if (storeUrl is null)
        {
            dir = Directory.CreateTempSubdirectory("als-store-bench-");
            var port = FreePort();
            vm = Process.Start(new ProcessStartInfo("victoria-metrics", [$"-storageDataPath={dir.FullName}", $"-httpListenAddr=127.0.0.1:{port}", "-search.latencyOffset=0s", "-retentionPeriod=1y", "-loggerLevel=ERROR"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            storeUrl = $"http://127.0.0.1:{port}";
        }

        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(storeUrl), Timeout = TimeSpan.FromMinutes(2) };
            await WaitReadyAsync(http).ConfigureAwait(false);
            var series = Mesh(services, callees);
            Console.WriteLine($"mesh: {services} services, {series.Count(s => s.Values[IstioNames.Reporter] == "destination" && s.Values[IstioNames.ResponseCode] == "200")} edges, {series.Count} Istio label sets per replica ({series.Count * 67:N0} time series)");

            // --written-at: the store already holds this mesh, pushed up to that Unix time; only query.
            var end = writtenAt is null ? DateTimeOffset.UtcNow : DateTimeOffset.FromUnixTimeMilliseconds((long)(double.Parse(writtenAt, CultureInfo.InvariantCulture) * 1000));
            var start = end.AddMinutes(-minutes);
            var pushes = (minutes * 60 / interval) + 1;
            long samples = 0, bytes = 0, edgeSamples = 0;
            var build = new List<double>();
            var write = Stopwatch.StartNew();

            // Each replica derives its own als_edge_* series from what it pushes, and encodes as the
            // service does: the Istio series by RemoteWriteEncoder, the edge series through the
            // object model, both in requests of RemoteWriteMaxSamplesPerSend's default.
            var edgeSeries = Enumerable.Range(0, replicas).Select(_ => new EdgeSeries()).ToArray();
            var encoders = Enumerable.Range(0, replicas).Select(_ => new RemoteWriteEncoder()).ToArray();
            var maxSamples = new RemoteWriteOptions().RemoteWriteMaxSamplesPerSend;
            for (var p = 0; p < pushes && writtenAt is null; p++)
            {
                var at = start.AddSeconds(p * interval).ToUnixTimeMilliseconds();
                for (var r = 0; r < replicas; r++)
                {
                    var snapshot = series.Select(s => (s, Counts(p, r))).ToList();
                    var clock = Stopwatch.StartNew();
                    var bodies = encoders[r].Encode(snapshot, at, $"als-{r}", maxSamples);
                    var edgeRequest = new WriteRequest();
                    var e = edgeSeries[r].Add(edgeRequest, snapshot, at, RemoteWriteRequests.Replica($"als-{r}"));
                    bodies.AddRange(RemoteWriteRequests.EncodeBatches(edgeRequest, maxSamples));
                    build.Add(clock.Elapsed.TotalMilliseconds);
                    samples += bodies.Sum(b => b.Samples);
                    edgeSamples += e;
                    bytes += bodies.Sum(b => b.Body.Length);

                    foreach (var (body, _) in bodies)
                    {
                        using var content = new ByteArrayContent(body);
                        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
                        content.Headers.ContentEncoding.Add("snappy");
                        using var response = await http.PostAsync(new Uri("/api/v1/write", UriKind.Relative), content).ConfigureAwait(false);
                        if (!response.IsSuccessStatusCode)
                        {
                            throw new InvalidOperationException($"remote write: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}");
                        }
                    }
                }
            }

            if (writtenAt is null)
            {
                Console.WriteLine($"written: {samples:N0} samples in {pushes * replicas} pushes, {write.Elapsed.TotalSeconds:0.0} s (last push at {end.ToUnixTimeMilliseconds() / 1000.0:0.000})");
                build.Sort();
                Console.WriteLine($"one push of one replica: {samples / (pushes * replicas):N0} samples ({edgeSamples / (pushes * replicas):N0} of them als_edge_*), {bytes / (pushes * replicas) / 1024.0:N0} KiB snappy, build+encode median {build[build.Count / 2]:0} ms");
            }

            // Let the store make the last samples searchable.
            await Task.Delay(3000).ConfigureAwait(false);
            var options = Options.Create(new QueryStoreOptions { QueryStore = QueryStoreOptions.Prometheus, PrometheusUrl = storeUrl, PrometheusTimeoutSeconds = 60 });
            using var client = new PrometheusClient(options);
            var reader = new StoreReader(client);
            var to = end.AddSeconds(1);
            foreach (var window in Windows.Where(m => m <= minutes))
            {
                var times = new List<double>();
                var edges = 0;
                string? failure = null;
                for (var i = 0; i < rounds && failure is null; i++)
                {
                    // The first round tells each query's own time (they run in parallel, at most PrometheusClient.MaxConcurrentQueries at once).
                    client.Answered = perQuery && i == 0
                        ? (promql, took, series) => Console.WriteLine($"  query {took.TotalMilliseconds,7:0} ms {series,6} series  {Shorten(promql)}")
                        : null;
                    var clock = Stopwatch.StartNew();
                    try
                    {
                        var w = await reader.ReadAsync(new QueryWindow(to.AddMinutes(-window), to), [], serviceLatency: false, CancellationToken.None).ConfigureAwait(false);
                        var topology = TopologyQueries.Topology([EdgeSlice.Of(w.View)], new QueryWindow(to.AddMinutes(-window), to), null, new QueryLimit(500));
                        _ = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(topology);
                        times.Add(clock.Elapsed.TotalMilliseconds);
                        edges = w.View.Edges.Count;
                    }
                    catch (StoreUnavailableException ex)
                    {
                        // The API answers 503 then: a result, not a crash of the benchmark.
                        failure = $"round {i + 1} FAILED after {clock.Elapsed.TotalMilliseconds:0} ms: {ex.Message}";
                    }
                }

                times.Sort();
                var timing = times.Count == 0 ? "no answer" : $"median {times[times.Count / 2]:0} ms, max {times[^1]:0} ms ({times.Count} rounds, first {times.Min():0}..)";
                Console.WriteLine($"topology over {window} min: {edges} edges read, limit 500; {timing}{(failure is null ? string.Empty : "; " + failure)}");
            }

            return 0;
        }
        finally
        {
            if (vm is not null)
            {
                vm.Kill(entireProcessTree: true);
                await vm.WaitForExitAsync().ConfigureAwait(false);
                vm.Dispose();
            }

            dir?.Delete(recursive: true);
        }
    }

    /// <summary>A query's PromQL cut to its start and metric, for the per-query lines.</summary>
    private static string Shorten(string promql)
    {
        var metric = promql.IndexOf("increase(", StringComparison.Ordinal) is var at and >= 0 ? promql[(at + 9)..].Split('{', '[')[0] : promql;
        var by = promql.IndexOf("sum by (", StringComparison.Ordinal) is var b and >= 0 ? promql[(b + 8)..].Split(')')[0].Split(',').Length : 0;
        return $"{metric} (by {by} labels)";
    }

    internal static IstioCounts Counts(int push, int replica)
    {
        // Each replica counts half of every edge's calls: 10 calls per push each, 2..60 ms.
        var c = new IstioCounts();
        var n = push * 10L;
        c.Requests = n;
        c.Records = n;
        c.DurationMicrosSum = n * 20_000 * (replica + 1);
        c.RequestBytesSum = n * 100;
        c.ResponseBytesSum = n * 1000;
        c.Buckets[IstioCounts.DurationOffset + 3] = n / 2;
        c.Buckets[IstioCounts.DurationOffset + 5] = n - (n / 2);
        c.Buckets[IstioCounts.RequestBytesOffset + 7] = n;
        c.Buckets[IstioCounts.ResponseBytesOffset + 10] = n;
        return c;
    }

    internal static List<IstioSeries> Mesh(int services, int callees)
    {
        var list = new List<IstioSeries>();
        for (var i = 0; i < services; i++)
        {
            for (var k = 1; k <= callees; k++)
            {
                var j = (i + (k * 7)) % services;
                foreach (var reporter in Reporters)
                {
                    list.Add(Series(i, j, reporter, "200"));
                    if ((i + k) % 10 == 0)
                    {
                        list.Add(Series(i, j, reporter, "503"));
                    }
                }
            }
        }

        return list;
    }

    private static IstioSeries Series(int source, int destination, string reporter, string code)
    {
        var v = new string[IstioNames.Labels.Length];
        Array.Fill(v, IstioNames.Unknown);
        string Ns(int i) => "ns" + (i % 20).ToString(CultureInfo.InvariantCulture);
        string Name(int i) => "svc" + i.ToString(CultureInfo.InvariantCulture);
        v[IstioNames.Reporter] = reporter;
        v[IstioNames.SourceWorkload] = Name(source) + "-v1";
        v[IstioNames.SourceNamespace] = Ns(source);
        v[IstioNames.SourceCanonical] = Name(source);
        v[IstioNames.SourceApp] = Name(source);
        v[IstioNames.SourceRevision] = "v1";
        v[IstioNames.DestinationWorkload] = Name(destination) + "-v1";
        v[IstioNames.DestinationNamespace] = Ns(destination);
        v[IstioNames.DestinationCanonical] = Name(destination);
        v[IstioNames.DestinationApp] = Name(destination);
        v[IstioNames.DestinationRevision] = "v1";
        v[IstioNames.DestinationService] = $"{Name(destination)}.{Ns(destination)}.svc.cluster.local";
        v[IstioNames.DestinationServiceName] = Name(destination);
        v[IstioNames.DestinationServiceNamespace] = Ns(destination);
        v[IstioNames.Protocol] = "http";
        v[IstioNames.ResponseCode] = code;
        v[IstioNames.GrpcStatus] = string.Empty;
        v[IstioNames.ResponseFlags] = "-";
        v[IstioNames.SecurityPolicy] = reporter == "destination" ? "mutual_tls" : IstioNames.Unknown;
        return new IstioSeries(v, tcp: false, 0, held: false);
    }

    private static async Task WaitReadyAsync(HttpClient http)
    {
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var r = await http.GetAsync(new Uri("/api/v1/query?query=1", UriKind.Relative)).ConfigureAwait(false);
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200).ConfigureAwait(false);
        }

        throw new InvalidOperationException("the store did not become ready");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
