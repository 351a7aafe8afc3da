using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>
/// The AlsAnalyzer server as a separate process (<c>dotnet AlsAnalyzer.Server.dll</c>) on
/// loopback ports of its own, with its CPU time, memory and /metrics at hand. Disposing kills
/// that one process (by its id).
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private const int LogLines = 200;

    private readonly Process _process;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Queue<string> _log = new();

    private ServerProcess(Process process, string mode, int grpcPort, int httpPort, string? label)
    {
        _process = process;
        Mode = label ?? mode;
        IngestMode = IngestModeOf(mode);
        GrpcPort = grpcPort;
        HttpPort = httpPort;
    }

    /// <summary>The mode as given: an ingest mode, optionally with settings (<c>analyze:IstioMetricsEnabled=false</c>); or the label it was started with.</summary>
    public string Mode { get; }

    /// <summary>The ingest mode alone (<c>--Als:IngestMode</c>).</summary>
    public string IngestMode { get; }

    /// <summary>The ingest mode of a mode as given (<c>analyze</c> of <c>analyze:IstioMetricsEnabled=false</c>).</summary>
    public static string IngestModeOf(string mode) => mode.Split(':', 2)[0];

    public int GrpcPort { get; }

    public int HttpPort { get; }

    public int Pid => _process.Id;

    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    public long CpuTicks => ProcInfo.CpuTicks(Pid);

    public long RssKb => ProcInfo.StatusKb(Pid, "VmRSS");

    public long PeakRssKb => ProcInfo.StatusKb(Pid, "VmHWM");

    /// <summary>The server build next to this repository's benchmarks (Release, built with this project).</summary>
    public static string DefaultServerDll()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AlsAnalyzer.sln")))
            {
                return Path.Combine(dir.FullName, "src", "AlsAnalyzer.Server", "bin", "Release", "net10.0", "AlsAnalyzer.Server.dll");
            }
        }

        throw new FileNotFoundException("AlsAnalyzer.sln not found above " + AppContext.BaseDirectory + "; give --server PATH/AlsAnalyzer.Server.dll");
    }

    /// <summary>
    /// Starts the server with <c>--Als:IngestMode=<paramref name="mode"/></c> (a mode may carry
    /// settings of its own, <c>MODE:Key=Value;Key=Value</c>, passed as <c>--Als:Key=Value</c>:
    /// two servers that differ in one setting, measured side by side), without Kubernetes
    /// unless <paramref name="extraArgs"/> turn it on (later arguments win), and waits for
    /// /healthz, or with <paramref name="waitReady"/> for /readyz (a first full Kubernetes sync).
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string serverDll, string mode, IEnumerable<string> extraArgs, CancellationToken cancellationToken, bool waitReady = false, IReadOnlyDictionary<string, string>? environment = null, string? label = null)
    {
        if (!File.Exists(serverDll))
        {
            throw new FileNotFoundException($"server not built: {serverDll} (dotnet build src/AlsAnalyzer.Server -c Release)");
        }

        var grpcPort = FreePort();
        var httpPort = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(serverDll);
        start.ArgumentList.Add($"--Als:GrpcPort={grpcPort}");
        start.ArgumentList.Add($"--Als:HttpPort={httpPort}");
        start.ArgumentList.Add("--Als:ListenAddress=127.0.0.1");
        var ingestMode = IngestModeOf(mode);
        start.ArgumentList.Add($"--Als:IngestMode={ingestMode}");
        foreach (var setting in mode.Length > ingestMode.Length ? mode[(ingestMode.Length + 1)..].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [])
        {
            start.ArgumentList.Add($"--Als:{setting}");
        }

        // Every load generator connection comes from 127.0.0.1: the per-IP limit would cap --streams.
        start.ArgumentList.Add("--Als:MaxConnectionsPerIp=0");
        start.ArgumentList.Add("--Als:Kubernetes=off");

        // Each run starts empty: no snapshot restored from (or written for) another run.
        start.ArgumentList.Add("--Als:Snapshots=off");

        // Per-stream log lines would be measured as ingest cost.
        start.ArgumentList.Add("--Logging:LogLevel:Default=Warning");
        foreach (var arg in extraArgs)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var server = new ServerProcess(process, mode, grpcPort, httpPort, label);
        process.OutputDataReceived += (_, e) => server.Log(e.Data);
        process.ErrorDataReceived += (_, e) => server.Log(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitHealthyAsync(waitReady ? "/readyz" : "/healthz", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return server;
    }

    public async Task<MetricsSnapshot> ScrapeAsync(CancellationToken cancellationToken = default)
    {
        var text = await _http.GetStringAsync(new Uri($"http://127.0.0.1:{HttpPort}/metrics"), cancellationToken).ConfigureAwait(false);
        return MetricsSnapshot.Parse(text);
    }

    public string LogTail()
    {
        lock (_log)
        {
            return string.Join(Environment.NewLine, _log);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitHealthyAsync(string path, CancellationToken cancellationToken)
    {
        // A first Kubernetes sync of 50,000 pods on a busy 2-core machine can take minutes.
        var limit = TimeSpan.FromSeconds(path == "/readyz" ? 300 : 60);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < limit)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"server exited with code {_process.ExitCode}:{Environment.NewLine}{LogTail()}");
            }

            try
            {
                using var response = await _http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}{path}"), cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"server {path} not OK after {limit.TotalSeconds} s:{Environment.NewLine}{LogTail()}");
    }

    private void Log(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > LogLines)
            {
                _log.Dequeue();
            }
        }
    }
}
