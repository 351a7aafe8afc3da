using System.Globalization;
using AlsAnalyzer.Benchmarks.Cli;

namespace AlsAnalyzer.Benchmarks.Corpus;

/// <summary>
/// <c>corpus --name istio-mx|k8s-plain --out DIR</c>: writes one gRPC-framed request body per
/// stream (<c>stream-0000.grpc</c>: identifier message first) and prints the corpus statistics.
/// </summary>
internal static class CorpusCommand
{
    public static int Run(CliArgs args)
    {
        var options = ReadOptions(args, new CorpusOptions());
        var output = args.String("out") ?? throw new ArgumentException("--out DIR is required");
        args.RejectUnknown();
        var corpus = CorpusGenerator.Generate(options);
        Directory.CreateDirectory(output);
        for (var i = 0; i < corpus.Streams.Count; i++)
        {
            using var file = File.Create(Path.Combine(output, string.Create(CultureInfo.InvariantCulture, $"stream-{i:D4}.grpc")));
            GrpcFrames.Write(file, corpus.Streams[i].Messages.Select(m => m.Payload));
        }

        var stats = CorpusStats.Of(corpus);
        var description = string.Create(
            CultureInfo.InvariantCulture,
            $"corpus {stats.Name} seed {options.Seed} start {options.Start:O} span {options.SpanSeconds}s: {stats}");
        File.WriteAllText(Path.Combine(output, "corpus.txt"), description + Environment.NewLine);
        Console.WriteLine(description);
        Console.WriteLine($"wrote {corpus.Streams.Count} files stream-NNNN.grpc (gRPC frames: 5-byte header + payload, identifier message first) to {Path.GetFullPath(output)}");
        return 0;
    }

    /// <summary>Reads <c>--name --seed --streams --messages --entries --start (ISO 8601 | now) --span</c>.</summary>
    public static CorpusOptions ReadOptions(CliArgs args, CorpusOptions defaults)
    {
        var start = args.String("start") switch
        {
            null => defaults.Start,
            "now" => StartNow(defaults.SpanSeconds),
            var s => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
        };
        return defaults with
        {
            Kind = args.String("name") is { } name ? CorpusKinds.Parse(name) : defaults.Kind,
            Seed = args.Int("seed", defaults.Seed),
            Streams = args.Int("streams", defaults.Streams),
            MessagesPerStream = args.Int("messages", defaults.MessagesPerStream),
            EntriesPerMessage = args.Int("entries", defaults.EntriesPerMessage),
            SpanSeconds = args.Int("span", defaults.SpanSeconds),
            Start = start,
        };
    }

    /// <summary>A start time that puts every entry in the recent past of a server running now.</summary>
    public static DateTimeOffset StartNow(int spanSeconds)
    {
        var now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddSeconds(-spanSeconds - 30);
    }
}
