using AlsAnalyzer.Benchmarks.Cli;
using AlsAnalyzer.Benchmarks.Corpus;
using AlsAnalyzer.Benchmarks.EndToEnd;
using AlsAnalyzer.Benchmarks.InProcess;
using AlsAnalyzer.Benchmarks.Stress;

namespace AlsAnalyzer.Benchmarks;

internal static class Program
{
    private const string Usage = """
        usage: dotnet run --project benchmarks/AlsAnalyzer.Benchmarks -c Release -- COMMAND [options]

          corpus --name istio-mx|k8s-plain --out DIR [--streams 64 --messages 16 --entries 50 --seed N --start ISO|now --span 90]
          bench [--smoke] [--variants scan-deep,pipeline:analyze,...] [-- BenchmarkDotNet args, e.g. --filter *]
          loadgen --target http://HOST:PORT [--streams 16 --connections N --duration 10 | --messages-per-stream N] [--name CORPUS | --from DIR]
          e2e [--corpus istio-mx --streams 16 --connections N --duration 12 --rounds 3 --warmup 5 --modes analyze,reference,discard --h2load auto|off --h2load-requests 300 --kubernetes auto|on|off --server DLL --base-server DLL] [--smoke]
          many-streams [--streams 10000 --loaded 100 --duration 15 --channels 1 --open-concurrency 200 --mode analyze --server DLL] [--smoke]
          churn [--pods 10000 --services 500 --rate 50 --duration 20 --warmup 0 --no-probe --slices --server DLL] [--smoke]   k8s cache under pod churn: CPU, time to resolve new IPs
          peer-bench [--smoke]      crafted peer metadata against a normal entry, through the analyze pipeline
          remote-write-bench [--smoke]   one remote-write push of 4,400 Istio label sets: Google.Protobuf's object model against the batching encoder
          alternate [--variants pipeline:analyze,pipeline:analyze+istio --corpus istio-mx --rounds 40 --batches 20 | --processes N --seconds 9 --warmup 3]   two variants in alternation (one process, or N processes each): CPU ns/entry, ratio
          istio-scrape [--series 50000 --runs 30]   time one /metrics/istio exposition of that many time series
          snapshot [--edges 10000 --minutes 60 --rounds 3]   snapshot size, write and load time of a full minute ring
          stress [--entries 1500000 --streams 8 --queries 10 --phase-seconds 15 --rounds 2 --warmup-seconds 5 --budget-mb 640 --constant-mb 256 --container-limit-mb 1024 --server DLL --server-args A,B] [--smoke]   random-cardinality flood: RSS, query time and size, ingest under queries
          spin [--variant pipeline:analyze --corpus istio-mx --seconds 20]   one variant in a loop, for a profiler
          store-query [--services 1000 --callees 2 --replicas 2 --minutes 60 --interval 60 --rounds 7 --store URL --written-at UNIX --per-query]   topology from a Prometheus-compatible store (VictoriaMetrics started if no --store); remote-write cost per replica
          smoke [--server DLL]      every tool once, in seconds; fails only on functional errors

        See benchmarks/README.md.
        """;

    public static async Task<int> Main(string[] argv)
    {
        try
        {
            var args = CliArgs.Parse(argv);
            return args.Command switch
            {
                "corpus" => CorpusCommand.Run(args),
                "bench" => BenchCommand.Run(args),
                "loadgen" => await LoadGenCommand.RunAsync(args).ConfigureAwait(false),
                "e2e" => await E2eCommand.RunAsync(args).ConfigureAwait(false),
                "many-streams" => await ManyStreamsCommand.RunAsync(args).ConfigureAwait(false),
                "churn" => await ChurnCommand.RunAsync(args).ConfigureAwait(false),
                "stress" => await StressCommand.RunAsync(args).ConfigureAwait(false),
                "spin" => SpinCommand.Run(args),
                "peer-bench" => PeerBenchCommand.Run(args),
                "remote-write-bench" => RemoteWriteBenchCommand.Run(args),
                "istio-scrape" => IstioScrapeCommand.Run(args),
                "alternate" => AlternateCommand.Run(args),
                "snapshot" => Persistence.SnapshotCommand.Run(args),
                "store-query" => await StoreQuery.StoreQueryCommand.RunAsync(args).ConfigureAwait(false),
                "smoke" => await SmokeCommand.RunAsync(args).ConfigureAwait(false),
                _ => PrintUsage(),
            };
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            Console.Error.WriteLine("error: " + ex.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
    }

    private static int PrintUsage()
    {
        Console.WriteLine(Usage);
        return 2;
    }
}
