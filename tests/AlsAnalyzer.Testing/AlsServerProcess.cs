using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AlsAnalyzer.Testing;

/// <summary>
/// The built server as its own process (<c>dotnet AlsAnalyzer.Server.dll</c>, as the image runs
/// it), on loopback ports, with its console log captured: for what only a real process shows
/// (signals, exit codes, files left behind, restarts).
/// </summary>
public sealed class AlsServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private bool _disposed;

    private AlsServerProcess(Process process, int grpcPort, int httpPort)
    {
        _process = process;
        GrpcAddress = new Uri($"http://127.0.0.1:{grpcPort}");
        HttpAddress = new Uri($"http://127.0.0.1:{httpPort}");
        Http = new HttpClient { BaseAddress = HttpAddress, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri GrpcAddress { get; }

    public Uri HttpAddress { get; }

    public HttpClient Http { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the process printed so far.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The server's build output, of the configuration the tests were built in.</summary>
    public static string ServerDirectory
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            return Path.Combine(Repository.Root, "src", "AlsAnalyzer.Server", "bin", configuration, "net10.0");
        }
    }

    /// <summary>Starts the server with <paramref name="settings"/> as <c>Als__X</c> environment variables and waits until /readyz answers 200.</summary>
    public static Task<AlsServerProcess> StartAsync(string workingDirectory, IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken) =>
        StartAsync(workingDirectory, settings, new Dictionary<string, string>(), cancellationToken);

    /// <summary>As <see cref="StartAsync(string, IReadOnlyDictionary{string, string}, CancellationToken)"/>, with other environment variables set as given (<c>KUBECONFIG</c>, SkyWalking's names).</summary>
    public static async Task<AlsServerProcess> StartAsync(string workingDirectory, IReadOnlyDictionary<string, string> settings, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var (grpc, http) = (FreePort(), FreePort());
        var start = new ProcessStartInfo("dotnet", [Path.Combine(ServerDirectory, "AlsAnalyzer.Server.dll")])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_HTTP_PORTS"] = string.Empty;
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        start.Environment["Als__ListenAddress"] = "127.0.0.1";
        start.Environment["Als__GrpcPort"] = grpc.ToString(CultureInfo.InvariantCulture);
        start.Environment["Als__HttpPort"] = http.ToString(CultureInfo.InvariantCulture);
        start.Environment["Als__Kubernetes"] = "off";
        foreach (var (name, value) in settings)
        {
            start.Environment["Als__" + name] = value;
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var server = new AlsServerProcess(Process.Start(start)!, grpc, http);
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var ready = await server.Http.GetAsync(new Uri("/readyz", UriKind.Relative), cancellationToken).ConfigureAwait(false);
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (server.HasExited || DateTime.UtcNow > deadline)
            {
                var log = server.Log;
                await server.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException("The server did not become ready within 30 s:\n" + log);
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends SIGTERM, as the kubelet does (through <c>kill</c>, the command an operator would use).</summary>
    public async Task TerminateAsync(CancellationToken cancellationToken)
    {
        var kill = await ProcessResult.RunAsync("kill", ["-TERM", Id.ToString(CultureInfo.InvariantCulture)], Environment.CurrentDirectory, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException(kill.ToString());
        }
    }

    /// <summary>Waits for the process to exit; false if it is still running after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
