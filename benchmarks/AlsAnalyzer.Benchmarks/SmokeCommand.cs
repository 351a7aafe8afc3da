using AlsAnalyzer.Core.Ingest;
using System.Diagnostics;
using AlsAnalyzer.Benchmarks.Cli;
using AlsAnalyzer.Benchmarks.Corpus;
using AlsAnalyzer.Benchmarks.EndToEnd;
using AlsAnalyzer.Benchmarks.InProcess;
using AlsAnalyzer.Benchmarks.Stress;

namespace AlsAnalyzer.Benchmarks;

/// <summary>
/// <c>smoke</c>: every tool once, in seconds, for CI. Prints what it measured but never judges
/// speed; fails only on a functional problem (a corpus that does not parse back, a benchmark
/// error or rejected entries, an accounting mismatch on the server).
/// </summary>
internal static class SmokeCommand
{
    public static async Task<int> RunAsync(CliArgs args)
    {
        var server = args.String("server");
        args.RejectUnknown();
        var total = Stopwatch.StartNew();
        var steps = new List<(string Name, int Code, TimeSpan Time)>();

        async Task Step(string name, Func<Task<int>> run)
        {
            Console.WriteLine($"=== smoke: {name}");
            var watch = Stopwatch.StartNew();
            int code;
            try
            {
                code = await run().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or InvalidDataException or IOException or ArgumentException)
            {
                Console.Error.WriteLine($"FAILED: {name}: {ex}");
                code = 1;
            }

            steps.Add((name, code, watch.Elapsed));
        }

        await Step("corpus", () => Task.FromResult(CorpusRoundTrip())).ConfigureAwait(false);
        await Step("bench --smoke", () => Task.FromResult(BenchCommand.Run(smoke: true, []))).ConfigureAwait(false);
        await Step("spin --seconds 1", () => Task.FromResult(SpinCommand.Run(IngestVariants.PipelinePrefix + IngestOptions.Analyze, CorpusKinds.K8sPlainName, 1))).ConfigureAwait(false);
        await Step("alternate --processes 1", () => Task.FromResult(AlternateCommand.Run(CliArgs.Parse(["alternate", "--corpus", CorpusKinds.K8sPlainName, "--processes", "1", "--seconds", "1", "--warmup", "1"])))).ConfigureAwait(false);
        await Step("e2e --smoke", () => E2eCommand.RunAsync(E2eOptions.Smoke with { ServerDll = server })).ConfigureAwait(false);
        await Step("e2e --smoke k8s-plain", () => E2eCommand.RunAsync(E2eOptions.Smoke with { ServerDll = server, Corpus = CorpusKind.K8sPlain, H2Load = false })).ConfigureAwait(false);
        await Step("many-streams --smoke", () => ManyStreamsCommand.RunAsync(ManyStreamsOptions.Smoke with { ServerDll = server })).ConfigureAwait(false);
        await Step("stress --smoke", () => StressCommand.RunAsync(StressOptions.SmokeDefaults with { ServerDll = server })).ConfigureAwait(false);
        await Step("churn --smoke", () => ChurnCommand.RunAsync(ChurnOptions.Smoke with { ServerDll = server })).ConfigureAwait(false);

        Console.WriteLine();
        foreach (var (name, code, time) in steps)
        {
            Console.WriteLine($"smoke: {name,-22} {(code == 0 ? "ok" : "FAILED")} ({time.TotalSeconds:F1} s)");
        }

        var failed = steps.Count(s => s.Code != 0);
        Console.WriteLine($"smoke: took {total.Elapsed.TotalSeconds:F0} s");
        Console.WriteLine($"smoke: {steps.Count - failed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>Both corpora, written as gRPC-framed files and read back.</summary>
    private static int CorpusRoundTrip()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"als-corpus-smoke-{Environment.ProcessId}");
        try
        {
            foreach (var name in CorpusKinds.Names)
            {
                var corpus = CorpusGenerator.Generate(new CorpusOptions { Kind = CorpusKinds.Parse(name), Streams = 4, MessagesPerStream = 4 });
                Console.WriteLine(CorpusStats.Of(corpus));
                Directory.CreateDirectory(directory);
                var file = Path.Combine(directory, name + ".grpc");
                File.WriteAllBytes(file, GrpcFrames.Frame(corpus.Streams[0].Messages.Select(m => m.Payload)));
                var back = GrpcFrames.Read(File.ReadAllBytes(file));
                var entries = back.Sum(p => ProtoScanner.CountEntries(p));
                if (back.Count != corpus.Streams[0].Messages.Count || entries != corpus.Streams[0].Entries)
                {
                    Console.Error.WriteLine($"FAILED: {name}: framed file gave {back.Count} messages, {entries} entries");
                    return 1;
                }
            }

            return 0;
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
