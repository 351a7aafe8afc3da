using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace AlsAnalyzer.Server.Tests.Support;

/// <summary>
/// A real Prometheus (Debian <c>prometheus</c>) or VictoriaMetrics (Debian <c>victoria-metrics</c>)
/// process on a free loopback port with its own temporary storage, queried through its PromQL
/// HTTP API; killed and its storage deleted on dispose.
/// </summary>
internal sealed class MetricsBackend : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _dir;
    private readonly StringBuilder _output = new();

    private MetricsBackend(Process process, DirectoryInfo dir, Uri address)
    {
        _process = process;
        _dir = dir;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Address { get; }

    public HttpClient Http { get; }

    public Uri RemoteWriteUrl => new(Address, "/api/v1/write");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Prometheus scraping <paramref name="scrapeTarget"/> (host:port) at <c>/metrics/istio</c> every second, remote-write receiver on.</summary>
    public static async Task<MetricsBackend> StartPrometheusAsync(string scrapeTarget)
    {
        var dir = Directory.CreateTempSubdirectory("als-prometheus-");
        var port = FreePort();
        var config = Path.Combine(dir.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: als
                metrics_path: /metrics/istio
                static_configs:
                  - targets: ['{scrapeTarget}']
            """);
        return await StartAsync(
            "prometheus",
            [
                $"--config.file={config}",
                $"--storage.tsdb.path={Path.Combine(dir.FullName, "data")}",
                $"--web.listen-address=127.0.0.1:{port}",
                "--web.enable-remote-write-receiver",
                "--storage.tsdb.retention.time=1h",
            ],
            dir,
            port,
            "/-/ready");
    }

    /// <summary>VictoriaMetrics, instant queries seeing fresh samples at once; on <paramref name="port"/> if given.</summary>
    public static Task<MetricsBackend> StartVictoriaMetricsAsync(int? port = null)
    {
        var dir = Directory.CreateTempSubdirectory("als-victoria-");
        var listen = port ?? FreePort();
        return StartAsync(
            "victoria-metrics",
            [
                $"-storageDataPath={Path.Combine(dir.FullName, "data")}",
                $"-httpListenAddr=127.0.0.1:{listen}",
                "-search.latencyOffset=0s",
                "-search.disableCache",
                "-retentionPeriod=1d",
            ],
            dir,
            listen,
            "/health");
    }

    /// <summary>An instant PromQL query (at <paramref name="time"/>, else now): each series' labels and value.</summary>
    public async Task<List<(Dictionary<string, string> Labels, double Value)>> QueryAsync(string promql, DateTimeOffset? time = null)
    {
        var url = "/api/v1/query?query=" + Uri.EscapeDataString(promql)
            + (time is { } t ? "&time=" + (t.ToUnixTimeMilliseconds() / 1000.0).ToString(CultureInfo.InvariantCulture) : string.Empty);
        using var response = await Http.GetAsync(new Uri(url, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{promql}: HTTP {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        var result = new List<(Dictionary<string, string>, double)>();
        foreach (var item in json.RootElement.GetProperty("data").GetProperty("result").EnumerateArray())
        {
            var labels = item.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            var value = double.Parse(item.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
            result.Add((labels, value));
        }

        return result;
    }

    /// <summary>The single value of <paramref name="promql"/> (NaN when it returns nothing).</summary>
    public async Task<double> ScalarAsync(string promql, DateTimeOffset? time = null)
    {
        var result = await QueryAsync(promql, time);
        Assert.True(result.Count <= 1, $"{promql} returned {result.Count} series");
        return result.Count == 0 ? double.NaN : result[0].Value;
    }

    /// <summary>Polls <paramref name="promql"/> until it equals <paramref name="expected"/>; fails with the last value otherwise.</summary>
    public async Task WaitForAsync(string promql, double expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = double.NaN;
        while (DateTime.UtcNow < deadline)
        {
            last = await ScalarAsync(promql);
            if (last == expected)
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"{promql}: expected {expected}, last {last} after {timeout}\n{Output}");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        try
        {
            _dir.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<MetricsBackend> StartAsync(string file, string[] arguments, DirectoryInfo dir, int port, string readyPath)
    {
        var startInfo = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dir.FullName,
        };
        Process process;
        try
        {
            process = Process.Start(startInfo)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"{file} is not installed: `apt-get install -y prometheus victoria-metrics` (scripts/test.sh installs them).", ex);
        }

        var backend = new MetricsBackend(process, dir, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => backend.Append(e.Data);
        process.ErrorDataReceived += (_, e) => backend.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                break;
            }

            try
            {
                using var response = await backend.Http.GetAsync(new Uri(readyPath, UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return backend;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        var output = backend.Output;
        await backend.DisposeAsync();
        throw new InvalidOperationException($"{file} did not become ready:\n{output}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 200_000)
            {
                _output.AppendLine(line);
            }
        }
    }
}
