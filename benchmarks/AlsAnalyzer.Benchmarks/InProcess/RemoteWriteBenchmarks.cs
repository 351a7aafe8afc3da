using AlsAnalyzer.Benchmarks.StoreQuery;
using AlsAnalyzer.Core.IstioMetrics;
using AlsAnalyzer.Server.IstioMetrics;
using BenchmarkDotNet.Attributes;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// What one remote-write push of one replica costs (<c>remote-write-bench</c>): a snapshot of
/// the store-query mesh (<see cref="Services"/> services calling two others, both reporters, a
/// tenth also answering 503: 4,400 Istio label sets and 294,800 time series for 1,000 services),
/// as one replica has it after an hour, turned into snappy-compressed request bodies through
/// Google.Protobuf's object model in one request (<see cref="RemoteWriteRequests"/>) or by
/// <see cref="RemoteWriteEncoder"/> in requests of 10,000 time series.
/// </summary>
public class RemoteWriteBenchmarks
{
    private const long Timestamp = 1_764_927_000_000;

    private List<(IstioSeries Series, IstioCounts Counts)> _snapshot = null!;
    private RemoteWriteEncoder _encoder = null!;

    [Params(1_000)]
    public int Services { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _snapshot = [.. StoreQueryCommand.Mesh(Services, callees: 2).Select(s => (s, StoreQueryCommand.Counts(push: 240, replica: 0)))];
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
}
