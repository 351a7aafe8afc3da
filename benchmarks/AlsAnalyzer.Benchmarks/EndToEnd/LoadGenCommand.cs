using AlsAnalyzer.Benchmarks.Cli;
using AlsAnalyzer.Benchmarks.Corpus;

namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>
/// <c>loadgen --target http://HOST:PORT</c>: the load generator alone, against a server that is
/// already running (its CPU is not measured here). The corpus is generated with entries in the
/// last two minutes, or read from <c>--from DIR</c> (files written by <c>corpus</c>, which must
/// then have been written with <c>--start now</c> to be inside the server's retention).
/// </summary>
internal static class LoadGenCommand
{
    public static async Task<int> RunAsync(CliArgs args)
    {
        var target = new Uri(args.String("target") ?? throw new ArgumentException("--target http://HOST:PORT is required"));
        var from = args.String("from");
        var options = CorpusCommand.ReadOptions(args, new CorpusOptions { Start = CorpusCommand.StartNow(90) });
        var streams = args.Int("streams", 16);
        var connections = args.Int("connections", streams);
        var duration = TimeSpan.FromSeconds(args.Double("duration", 10));
        var maxMessages = args.Int("messages-per-stream", 0);
        args.RejectUnknown();

        var scripts = from is null
            ? CorpusGenerator.Generate(options).Streams.Select(LoadScript.From).ToList()
            : ReadScripts(from);
        using var load = new LoadGenerator(target, connections);
        var result = await load.RunAsync(scripts, streams, maxMessages > 0 ? TimeSpan.FromDays(1) : duration, maxMessages, CancellationToken.None).ConfigureAwait(false);
        Console.WriteLine($"loadgen: {result}");
        return result.Errors.Count == 0 ? 0 : 1;
    }

    /// <summary>Scripts from <c>stream-*.grpc</c> files; entries are counted by scanning each payload.</summary>
    private static List<LoadScript> ReadScripts(string directory)
    {
        var scripts = new List<LoadScript>();
        foreach (var file in Directory.GetFiles(directory, "stream-*.grpc").Order(StringComparer.Ordinal))
        {
            var payloads = GrpcFrames.Read(File.ReadAllBytes(file));
            var entries = payloads.Select(p => InProcess.ProtoScanner.CountEntries(p)).ToArray();
            scripts.Add(new LoadScript(payloads[0], entries[0], [.. payloads.Skip(1)], [.. entries.Skip(1)]));
        }

        return scripts.Count > 0 ? scripts : throw new ArgumentException($"no stream-*.grpc files in {directory}");
    }
}
