using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.StoreQueries;

/// <summary>The store could not answer: unreachable, too slow, or it refused the query. The message says which.</summary>
internal sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One series of an instant query's answer.</summary>
internal readonly record struct PromSample(Dictionary<string, string> Labels, double Value)
{
    public string this[string label] => Labels.TryGetValue(label, out var v) ? v : string.Empty;
}

/// <summary>
/// Instant queries against a Prometheus-compatible HTTP API (<c>POST /api/v1/query</c>):
/// Prometheus, VictoriaMetrics, Thanos Query, Mimir's Prometheus API. Every failure becomes a
/// <see cref="StoreUnavailableException"/> naming the store and the reason.
/// </summary>
internal sealed class PrometheusClient : IDisposable
{
    /// <summary>
    /// Queries in flight at once: stores cap their concurrent queries (VictoriaMetrics: twice its
    /// cores, then 503 after 10 s in its queue), and one API answer must not take them all.
    /// </summary>
    public const int MaxConcurrentQueries = 4;

    private readonly SemaphoreSlim _concurrent = new(MaxConcurrentQueries, MaxConcurrentQueries);
    private readonly HttpClient _http;
    private readonly Uri _query;

    public PrometheusClient(IOptions<QueryStoreOptions> options)
    {
        var settings = options.Value;
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(settings.PrometheusTimeoutSeconds) };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("AlsAnalyzer");
        Store = settings.PrometheusUrl.TrimEnd('/');
        _query = Store.Length > 0 ? new Uri(Store + "/api/v1/query") : new Uri("http://localhost/api/v1/query");
    }

    /// <summary>The store's base URL, as configured.</summary>
    public string Store { get; }

    /// <summary>Told of each answered query: its PromQL, its time (request, answer and parsing) and its series (the benchmark times each query).</summary>
    public Action<string, TimeSpan, int>? Answered { get; set; }

    public async Task<List<PromSample>> QueryAsync(string promql, DateTimeOffset time, CancellationToken cancellationToken)
    {
        using var content = new FormUrlEncodedContent(
        [
            new("query", promql),
            new("time", (time.ToUnixTimeMilliseconds() / 1000.0).ToString("0.###", CultureInfo.InvariantCulture)),
        ]);
        HttpResponseMessage response;
        await _concurrent.WaitAsync(cancellationToken).ConfigureAwait(false);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            response = await _http.PostAsync(_query, content, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new StoreUnavailableException($"Query store {Store} is unreachable: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StoreUnavailableException($"Query store {Store} did not answer within {_http.Timeout.TotalSeconds:0} s (Als:PrometheusTimeoutSeconds).", ex);
        }
        finally
        {
            _concurrent.Release();
        }

        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            JsonDocument json;
            try
            {
                json = JsonDocument.Parse(body);
            }
            catch (JsonException ex)
            {
                throw new StoreUnavailableException($"Query store {Store} answered HTTP {(int)response.StatusCode} with no PromQL answer: {Snippet(body)}", ex);
            }

            using (json)
            {
                var root = json.RootElement;
                if (!response.IsSuccessStatusCode || !root.TryGetProperty("status", out var status) || status.GetString() != "success")
                {
                    var error = root.TryGetProperty("error", out var e) ? e.GetString() : Snippet(body);
                    throw new StoreUnavailableException($"Query store {Store} refused a query (HTTP {(int)response.StatusCode}): {error}");
                }

                var samples = Parse(root.GetProperty("data"));
                Answered?.Invoke(promql, System.Diagnostics.Stopwatch.GetElapsedTime(started), samples.Count);
                return samples;
            }
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _concurrent.Dispose();
    }

    private static List<PromSample> Parse(JsonElement data)
    {
        var result = data.GetProperty("result");
        var samples = new List<PromSample>(result.GetArrayLength());
        foreach (var item in result.EnumerateArray())
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in item.GetProperty("metric").EnumerateObject())
            {
                labels[p.Name] = p.Value.GetString() ?? string.Empty;
            }

            var text = item.GetProperty("value")[1].GetString();
            var value = text switch
            {
                "NaN" => double.NaN,
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                _ => double.Parse(text!, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples.Add(new PromSample(labels, value));
        }

        return samples;
    }

    private static string Snippet(byte[] body)
    {
        // The end says why (VictoriaMetrics first repeats the request).
        var start = Math.Max(0, body.Length - 300);
        var text = System.Text.Encoding.UTF8.GetString(body, start, body.Length - start).ReplaceLineEndings(" ");
        return text.Length == 0 ? "(empty body)" : text;
    }
}
