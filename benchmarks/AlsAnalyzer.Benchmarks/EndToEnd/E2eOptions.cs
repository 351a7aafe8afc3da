using AlsAnalyzer.Benchmarks.Cli;
using AlsAnalyzer.Benchmarks.Corpus;

namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>Options of <c>e2e</c>; <see cref="Smoke"/> shrinks everything to seconds.</summary>
internal sealed record E2eOptions
{
    public CorpusKind Corpus { get; init; } = CorpusKind.IstioMx;

    /// <summary>Concurrent client streams per run.</summary>
    public int Streams { get; init; } = 16;

    /// <summary>Client channels (HTTP/2 connections) the streams are spread over; 0 = one per stream, like separate proxies.</summary>
    public int Connections { get; init; }

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(12);

    public int Rounds { get; init; } = 3;

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Server ingest modes: <c>analyze</c> (the shipped pipeline), <c>reference</c> (the
    /// generated-object pipeline), <c>discard</c> (transport only: the floor). A mode may carry
    /// server settings, <c>analyze:IstioMetricsEnabled=false</c> (see <see cref="ServerProcess.StartAsync"/>).
    /// </summary>
    public IReadOnlyList<string> Modes { get; init; } = ["analyze", "reference", "discard"];

    /// <summary>Distinct reporters in the client corpus, and messages each (identifier + steady).</summary>
    public int Scripts { get; init; } = 64;

    public int MessagesPerScript { get; init; } = 16;

    public string? ServerDll { get; init; }

    /// <summary>
    /// A second server build (another commit's, built aside): every mode then runs on both,
    /// the base's labelled <c>base MODE</c>, their rounds alternating with the others', and the
    /// summary gives each mode against its base.
    /// </summary>
    public string? BaseServerDll { get; init; }

    /// <summary>The servers a run starts: (label, mode, whether on the base build), in the order their rounds alternate.</summary>
    public IReadOnlyList<(string Label, string Mode, bool Base)> Servers =>
        [.. Modes.SelectMany(m => BaseServerDll is null ? new[] { (m, m, false) } : [(m, m, false), (BaseLabel(m), m, true)])];

    public static string BaseLabel(string mode) => "base " + mode;

    public bool H2Load { get; init; } = true;

    /// <summary>h2load requests (each a whole stream: one script's messages) per mode.</summary>
    public int H2LoadRequests { get; init; } = 300;

    /// <summary>
    /// Whether the servers watch a Kubernetes API server holding the mesh (<c>on</c>, <c>off</c>;
    /// <c>auto</c>: on for k8s-plain, whose entries only k8s-mesh maps, off for istio-mx).
    /// </summary>
    public string Kubernetes { get; init; } = "auto";

    public bool KubernetesOn => Kubernetes switch
    {
        "on" => true,
        "off" => false,
        _ => Corpus == CorpusKind.K8sPlain,
    };

    /// <summary>
    /// Whether the server should map every entry's peers: istio-mx carries peer metadata on
    /// both sides of every entry; k8s-plain needs the Kubernetes index.
    /// </summary>
    public bool MapsEveryPeer => Corpus == CorpusKind.IstioMx || KubernetesOn;

    public static E2eOptions Smoke { get; } = new()
    {
        Streams = 2,
        Duration = TimeSpan.FromSeconds(1),
        Rounds = 1,
        Warmup = TimeSpan.FromSeconds(0.5),
        Scripts = 2,
        MessagesPerScript = 4,
        H2LoadRequests = 4,
    };

    public static E2eOptions Read(CliArgs args)
    {
        var o = args.Flag("smoke") ? Smoke : new E2eOptions();
        return o with
        {
            Corpus = args.String("corpus") is { } c ? CorpusKinds.Parse(c) : o.Corpus,
            Streams = args.Int("streams", o.Streams),
            Connections = args.Int("connections", o.Connections),
            Duration = TimeSpan.FromSeconds(args.Double("duration", o.Duration.TotalSeconds)),
            Rounds = args.Int("rounds", o.Rounds),
            Warmup = TimeSpan.FromSeconds(args.Double("warmup", o.Warmup.TotalSeconds)),
            Modes = args.String("modes") is { } m ? m.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : o.Modes,
            Scripts = args.Int("scripts", o.Scripts),
            MessagesPerScript = args.Int("messages", o.MessagesPerScript),
            ServerDll = args.String("server") ?? o.ServerDll,
            BaseServerDll = args.String("base-server") ?? o.BaseServerDll,
            H2Load = args.String("h2load", o.H2Load ? "auto" : "off") != "off",
            H2LoadRequests = args.Int("h2load-requests", o.H2LoadRequests),
            Kubernetes = args.String("kubernetes") is { } k
                ? k is "on" or "off" or "auto" ? k : throw new ArgumentException($"--kubernetes {k}: expected on, off or auto")
                : o.Kubernetes,
        };
    }
}
