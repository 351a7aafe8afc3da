using AlsAnalyzer.Benchmarks.Cli;
using AlsAnalyzer.Benchmarks.Corpus;

namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>Options of <c>many-streams</c>; <see cref="Smoke"/> shrinks everything to seconds.</summary>
internal sealed record ManyStreamsOptions
{
    public CorpusKind Corpus { get; init; } = CorpusKind.IstioMx;

    /// <summary>Streams open at once, loaded ones included.</summary>
    public int Streams { get; init; } = 10_000;

    /// <summary>Streams that carry load; the others send their identifier message and stay open, idle.</summary>
    public int Loaded { get; init; } = 100;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Client channels; each opens more HTTP/2 connections as the server's stream limit fills one.</summary>
    public int Channels { get; init; } = 1;

    /// <summary>Streams being opened at the same time.</summary>
    public int OpenConcurrency { get; init; } = 200;

    public string Mode { get; init; } = "analyze";

    public string? ServerDll { get; init; }

    public static ManyStreamsOptions Smoke { get; } = new()
    {
        Streams = 200,
        Loaded = 10,
        Duration = TimeSpan.FromSeconds(1.5),
        Warmup = TimeSpan.FromSeconds(0.5),
    };

    public static ManyStreamsOptions Read(CliArgs args)
    {
        var o = args.Flag("smoke") ? Smoke : new ManyStreamsOptions();
        o = o with
        {
            Corpus = args.String("corpus") is { } c ? CorpusKinds.Parse(c) : o.Corpus,
            Streams = args.Int("streams", o.Streams),
            Loaded = args.Int("loaded", o.Loaded),
            Duration = TimeSpan.FromSeconds(args.Double("duration", o.Duration.TotalSeconds)),
            Warmup = TimeSpan.FromSeconds(args.Double("warmup", o.Warmup.TotalSeconds)),
            Channels = args.Int("channels", o.Channels),
            OpenConcurrency = args.Int("open-concurrency", o.OpenConcurrency),
            Mode = args.String("mode", o.Mode),
            ServerDll = args.String("server") ?? o.ServerDll,
        };
        if (o.Loaded < 1 || o.Loaded > o.Streams)
        {
            throw new ArgumentException("--loaded must be between 1 and --streams");
        }

        return o;
    }
}
