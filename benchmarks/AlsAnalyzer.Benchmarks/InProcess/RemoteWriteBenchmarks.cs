using System.Globalization;
using AlsAnalyzer.Core.IstioMetrics;
using AlsAnalyzer.Server.IstioMetrics;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// What one remote-write push of one replica costs (<c>remote-write-bench</c>): a snapshot of
/// <see cref="LabelSets"/> Istio label sets (the store-query mesh: 1,000 services calling two
/// others, both reporters, a tenth also answering 503; 67 time series per HTTP label set) turned
/// into snappy-compressed request bodies, through Google.Protobuf's object model in one request
/// (<see cref="RemoteWriteRequests"/>) or by <see cref="RemoteWriteEncoder"/> in requests of
/// 10,000 time series.
/// </summary>
public class RemoteWriteBenchmarks
{
    private const long Timestamp = 1_764_927_000_000;

    private List<(IstioSeries Series, IstioCounts Counts)> _snapshot = null!;
    private RemoteWriteEncoder _encoder = null!;

    [Params(4_400)]
    public int LabelSets { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _snapshot = [];
        var services = LabelSets * 10 / 22;
        for (var i = 0; _snapshot.Count < LabelSets; i++)
        {
            var source = i % services;
            var destination = (source + 7 + (i / services)) % services;
            foreach (var reporter in new[] { "source", "destination" })
            {
                _snapshot.Add((Series(source, destination, reporter, "200"), Counts(i)));
                if (i % 10 == 0)
                {
                    _snapshot.Add((Series(source, destination, reporter, "503"), Counts(i)));
                }
            }
        }

        _encoder = new RemoteWriteEncoder();
    }

    [Benchmark(Baseline = true)]
    public long ObjectModel()
    {
        var request = RemoteWriteRequests.Build(_snapshot, Timestamp, "als-0", out _);
        return RemoteWriteRequests.Encode(request).Length;
    }

    [Benchmark]
    public long Encoder()
    {
        long bytes = 0;
        foreach (var (body, _) in _encoder.Encode(_snapshot, Timestamp, "als-0", 10_000))
        {
            bytes += body.Length;
        }

        return bytes;
    }

    private static IstioCounts Counts(int i)
    {
        var c = new IstioCounts { Requests = 600 + i, Records = 600 + i, DurationMicrosSum = 12_000_000L + i, RequestBytesSum = 60_000, ResponseBytesSum = 600_000 };
        c.Buckets[IstioCounts.DurationOffset + 3] = 300;
        c.Buckets[IstioCounts.DurationOffset + 5] = 300 + i;
        c.Buckets[IstioCounts.RequestBytesOffset + 7] = 600 + i;
        c.Buckets[IstioCounts.ResponseBytesOffset + 10] = 600 + i;
        return c;
    }

    private static IstioSeries Series(int source, int destination, string reporter, string code)
    {
        var v = new string[IstioNames.Labels.Length];
        Array.Fill(v, IstioNames.Unknown);
        static string Ns(int i) => "ns" + (i % 20).ToString(CultureInfo.InvariantCulture);
        static string Name(int i) => "svc" + i.ToString(CultureInfo.InvariantCulture);
        v[IstioNames.Reporter] = reporter;
        v[IstioNames.SourceWorkload] = Name(source) + "-v1";
        v[IstioNames.SourceNamespace] = Ns(source);
        v[IstioNames.SourcePrincipal] = $"spiffe://cluster.local/ns/{Ns(source)}/sa/{Name(source)}";
        v[IstioNames.SourceCanonical] = Name(source);
        v[IstioNames.SourceApp] = Name(source);
        v[IstioNames.SourceRevision] = "v1";
        v[IstioNames.DestinationWorkload] = Name(destination) + "-v1";
        v[IstioNames.DestinationNamespace] = Ns(destination);
        v[IstioNames.DestinationPrincipal] = $"spiffe://cluster.local/ns/{Ns(destination)}/sa/{Name(destination)}";
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
        v[IstioNames.SecurityPolicy] = "mutual_tls";
        return new IstioSeries(v, tcp: false, Timestamp, held: false);
    }
}
