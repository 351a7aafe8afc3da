using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using AlsAnalyzer.Server.Hosting;
using AlsAnalyzer.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Testing;

/// <summary>
/// The real service, built by the same code as Program, on loopback with ports picked by the
/// OS. Records every log line at Warning or above so tests can assert on (or against) them.
/// </summary>
public sealed class AlsTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AlsTestServer(WebApplication app, LogSink logs, HttpMessageHandler? httpHandler)
    {
        _app = app;
        Logs = logs;
        var bound = app.Services.GetRequiredService<BoundEndpoints>();
        var scheme = app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value.TlsEnabled ? "https" : "http";
        GrpcAddress = new Uri($"{scheme}://localhost:{bound.GrpcEndPoint.Port}");
        HttpAddress = new Uri($"{scheme}://localhost:{bound.HttpEndPoint.Port}");
        if (scheme == "http")
        {
            GrpcAddress = new Uri($"http://127.0.0.1:{bound.GrpcEndPoint.Port}");
            HttpAddress = new Uri($"http://127.0.0.1:{bound.HttpEndPoint.Port}");
        }

        Http = httpHandler is null
            ? new HttpClient { BaseAddress = HttpAddress, Timeout = TimeSpan.FromSeconds(30) }
            : new HttpClient(httpHandler) { BaseAddress = HttpAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri GrpcAddress { get; }

    public Uri HttpAddress { get; }

    public HttpClient Http { get; }

    public LogSink Logs { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a server; <paramref name="settings"/> are <c>Als</c> settings (<c>RetentionMinutes=5</c>).</summary>
    public static Task<AlsTestServer> StartAsync(params string[] settings) => StartCoreAsync(null, null, settings);

    /// <summary>As <see cref="StartAsync(string[])"/>, with <see cref="Http"/> over <paramref name="httpHandler"/> (to trust a test CA).</summary>
    public static Task<AlsTestServer> StartWithHandlerAsync(HttpMessageHandler? httpHandler, params string[] settings) =>
        StartCoreAsync(null, httpHandler, settings);

    /// <summary>Starts a server whose services <paramref name="services"/> may replace (e.g. the Kubernetes environment).</summary>
    public static Task<AlsTestServer> StartAsync(Action<IServiceCollection>? services, params string[] settings) =>
        StartCoreAsync(services, null, settings);

    private static async Task<AlsTestServer> StartCoreAsync(Action<IServiceCollection>? services, HttpMessageHandler? httpHandler, string[] settings)
    {
        // No snapshots unless a test asks for them (Snapshots=on, DataDirectory=...): each test server starts empty.
        var args = new List<string> { "--Als:ListenAddress=127.0.0.1", "--Als:GrpcPort=0", "--Als:HttpPort=0", "--Als:Snapshots=off" };
        args.AddRange(settings.Select(s => "--Als:" + s));
        var logs = new LogSink();
        var app = AlsHost.Build(args.ToArray(), builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(logs);
            builder.Logging.SetMinimumLevel(LogLevel.Information);
            services?.Invoke(builder.Services);
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await app.StartAsync(cts.Token).ConfigureAwait(false);
        return new AlsTestServer(app, logs, httpHandler);
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(new Uri(path, UriKind.Relative)).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>().ConfigureAwait(false);
    }

    /// <summary>Scrapes /metrics and parses it into <c>name{labels}</c> -> value.</summary>
    public async Task<IReadOnlyDictionary<string, double>> ScrapeAsync()
    {
        var text = await Http.GetStringAsync(new Uri("/metrics", UriKind.Relative)).ConfigureAwait(false);
        return PrometheusText.Parse(text);
    }

    /// <summary>Stops the host as SIGTERM does (the graceful path), within <paramref name="timeout"/>.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _app.StopAsync(cts.Token).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(cts.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>A logger provider that keeps Warning-and-above lines, and the service's own Information lines (start-up choices).</summary>
public sealed class LogSink : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, int EventId, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Category, int EventId, string Message)> Entries => _entries.ToArray();

    public IEnumerable<string> AtLeast(LogLevel level) =>
        _entries.Where(e => e.Level >= level).Select(e => $"{e.Level} {e.Category}[{e.EventId}]: {e.Message}");

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) =>
            logLevel >= LogLevel.Warning || (logLevel == LogLevel.Information && category.StartsWith("AlsAnalyzer.", StringComparison.Ordinal));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                sink._entries.Enqueue((logLevel, category, eventId.Id, formatter(state, exception) + (exception is null ? string.Empty : " " + exception)));
            }
        }
    }
}

/// <summary>A small parser of the Prometheus text exposition, for asserting on self-metrics.</summary>
public static class PrometheusText
{
    public static IReadOnlyDictionary<string, double> Parse(string text)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            result[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }

        return result;
    }

    /// <summary>The value of a series, 0 when absent.</summary>
    public static double Get(this IReadOnlyDictionary<string, double> metrics, string series) =>
        metrics.TryGetValue(series, out var v) ? v : 0;

    /// <summary>Sum over every series of a metric name (all label values).</summary>
    public static double Sum(this IReadOnlyDictionary<string, double> metrics, string name) =>
        metrics.Where(p => p.Key == name || p.Key.StartsWith(name + "{", StringComparison.Ordinal)).Sum(p => p.Value);
}
