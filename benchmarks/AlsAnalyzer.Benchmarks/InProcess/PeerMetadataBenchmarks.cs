using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Ingest;
using AlsAnalyzer.Core.Peers;
using AlsAnalyzer.Testing;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// What crafted peer metadata costs against a normal entry (<c>peer-bench</c>): one message of
/// one entry through the <c>analyze</c> pipeline, whose caller's metadata is a normal FlatNode
/// (cached after its first sight, as in a mesh), a FlatNode never seen before (the decode on a
/// cache miss), or crafted: 256 labels whose keys and values all point at one 1 MB string
/// (without a budget every label's strings are decoded: 512 MB of UTF-8 per entry), and the
/// worst that passes the budget (256 labels at one 1 KB string, each entry distinct so never cached).
/// </summary>
public class PeerMetadataBenchmarks : IDisposable
{
    private static readonly Workload Caller = new("default", "productpage", "v1", "productpage-v1-7f99cc4496-abcde", "10.244.1.10");
    private static readonly Workload Callee = new("default", "details", "v1", "details-v1-7f99cc4496-ccccc", "10.244.1.13");

    private readonly IngestTally _tally = new();
    private AnalyzePipeline _pipeline = null!;
    private AccessLogStreamState _stream = null!;
    private byte[] _normal = null!;
    private byte[] _crafted = null!;
    private byte[][] _withinBudget = null!;
    private byte[][] _unseen = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var aggregator = new Aggregator(new AggregationOptions());
        var time = new FixedTimeProvider(DateTimeOffset.UtcNow);
        _pipeline = new AnalyzePipeline(new EntryAnalyzer(new AnalysisSettings()), aggregator, time);
        _stream = new AccessLogStreamState();
        var call = new HttpCall { Source = Caller, Destination = Callee, Start = time.GetUtcNow().AddSeconds(-5), Encoding = PeerEncoding.FlatNode };
        _pipeline.Process(Calls.HttpMessage([Calls.Inbound(call)], Nodes.Sidecar(Callee)).ToByteArray(), _stream, _tally);
        _normal = Message(Calls.Inbound(call));
        _crafted = Message(WithFlatNode(call, Peers.FlatNodeSharingOneString(Caller, 256, 1024 * 1024)));

        // Distinct payloads (the pod name differs), so that each is a cache miss.
        _withinBudget = [.. Enumerable.Range(0, 4096).Select(i => Message(WithFlatNode(call, Peers.FlatNodeSharingOneString(Caller with { Pod = "p" + i }, 256, PeerBudget.MaxStringBytes))))];
        _unseen = [.. Enumerable.Range(0, 4096).Select(i => Message(WithFlatNode(call, Peers.FlatNodeBytes(Caller with { Pod = "u" + i }))))];
    }

    [Benchmark(Baseline = true)]
    public long NormalCached() => Run(_normal);

    [Benchmark]
    public long NormalUnseen() => Run(_unseen[_next++ & 4095]);

    [Benchmark]
    public long Crafted256LabelsAt1MBString() => Run(_crafted);

    [Benchmark]
    public long WorstWithinBudget() => Run(_withinBudget[_next++ & 4095]);

    private static Envoy.Data.Accesslog.V3.HTTPAccessLogEntry WithFlatNode(HttpCall call, byte[] flatNode)
    {
        var entry = Calls.Inbound(call with { Encoding = PeerEncoding.None });
        entry.CommonProperties.FilterStateObjects["wasm.downstream_peer"] = Peers.AsFlatNode(flatNode);
        return entry;
    }

    private static byte[] Message(Envoy.Data.Accesslog.V3.HTTPAccessLogEntry entry) => Calls.HttpMessage([entry]).ToByteArray();

    private long Run(byte[] payload)
    {
        var entries = _pipeline.Process(payload, _stream, _tally).Entries;
        _tally.Clear();
        return entries;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _stream?.Dispose();
        GC.SuppressFinalize(this);
    }
}
