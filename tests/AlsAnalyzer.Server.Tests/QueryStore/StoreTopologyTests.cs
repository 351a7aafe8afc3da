using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Server.Tests.QueryStore;

/// <summary>
/// Two replicas, each given half of every proxy's streams (so both sides of each call and both
/// worker streams of each proxy are split), remote-writing to one real store; every replica
/// answers the API from the store. Their answers must equal what one memory-store replica given
/// all the streams reports: counts exactly from VictoriaMetrics (its <c>increase()</c> does not
/// extrapolate), within the documented extrapolation bound from Prometheus; latency percentiles
/// within the Envoy bucket the exact percentile falls in (the store holds only those buckets).
/// </summary>
public sealed class StoreTopologyTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    // Envoy's default duration buckets (ms), which bound what histogram_quantile can say.
    private static readonly double[] Bounds = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

    public static TheoryData<string> Stores => ["victoria-metrics", "prometheus"];

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task TwoReplicas_SplitStreams_EveryReplicaAnswersAsOneReplicaWithAllStreams(string backend)
    {
        // Prometheus scrapes nothing here (port 1): the store holds only what the replicas pushed.
        await using var store = backend == "prometheus"
            ? await MetricsBackend.StartPrometheusAsync("127.0.0.1:1")
            : await MetricsBackend.StartVictoriaMetricsAsync();
        var exact = backend != "prometheus";
        await using var memory = await AlsTestServer.StartAsync("CollectIntervalMilliseconds=200");
        var a = await AlsTestServer.StartAsync(Replica(store, "als-a"));
        await using var b = await AlsTestServer.StartAsync(Replica(store, "als-b"));
        AlsTestServer? c = null;
        try
        {
            var start = DateTimeOffset.UtcNow.AddSeconds(-20);
            var mesh = ReplicaMesh.Build(start);
            using (var clientA = new AlsClient(a.GrpcAddress))
            using (var clientB = new AlsClient(b.GrpcAddress))
            using (var clientMemory = new AlsClient(memory.GrpcAddress))
            {
                await mesh.SendSplitAsync([clientA, clientB]);
                await mesh.SendAsync(clientMemory);
            }

            var from = start.AddMinutes(-2).ToUnixTimeSeconds();
            await AssertSameAsync(memory, a, from, exact);
            await AssertSameAsync(memory, b, from, exact);

            // Losing a replica loses nothing it wrote; a new one answers the same at once.
            await a.StopAsync(TimeSpan.FromSeconds(30));
            await a.DisposeAsync();
            await AssertSameAsync(memory, b, from, exact);
            c = await AlsTestServer.StartAsync(Replica(store, "als-c"));
            await AssertSameAsync(memory, c, from, exact);
        }
        finally
        {
            await a.DisposeAsync();
            if (c is not null)
            {
                await c.DisposeAsync();
            }
        }
    }

    internal static string[] Replica(MetricsBackend store, string name) =>
    [
        "CollectIntervalMilliseconds=200",
        $"RemoteWriteUrl={store.RemoteWriteUrl}",
        "RemoteWriteIntervalSeconds=1",
        $"ReplicaName={name}",
        "QueryStore=prometheus",
        $"PrometheusUrl={store.Address}",
    ];

    /// <summary>Polls until <paramref name="replica"/>'s store answers match <paramref name="memory"/>'s; fails with the differences otherwise.</summary>
    private static async Task AssertSameAsync(AlsTestServer memory, AlsTestServer replica, long from, bool exact)
    {
        var deadline = DateTime.UtcNow + Patience;
        List<string> diffs = [];
        while (DateTime.UtcNow < deadline)
        {
            var to = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            diffs = [];
            foreach (var path in new[] { "/api/v1/topology", "/api/v1/services", "/api/v1/services/default/reviews", "/api/v1/services/default/productpage", "/api/v1/services/data/mysql" })
            {
                var query = $"{path}?from={from}&to={to}";
                var (expected, _) = await GetAsync(memory, query);
                Assert.NotNull(expected);
                var (actual, problem) = await GetAsync(replica, query);
                if (actual is null)
                {
                    diffs.Add(problem);
                    continue;
                }

                if (path.StartsWith("/api/v1/services/", StringComparison.Ordinal))
                {
                    // Not in the store: absent from its answer (README).
                    foreach (var name in new[] { "instances", "endpoints", "proxies" })
                    {
                        expected.AsObject().Remove(name);
                    }
                }

                Compare(query, expected, actual, exact, diffs);
            }

            if (diffs.Count == 0)
            {
                return;
            }

            await Task.Delay(500);
        }

        Assert.Fail($"{replica.HttpAddress} differs from the memory store:\n{string.Join('\n', diffs.Take(40))}");
    }

    private static async Task<(JsonNode? Answer, string Problem)> GetAsync(AlsTestServer server, string query)
    {
        using var response = await server.Http.GetAsync(new Uri(query, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        return response.StatusCode == HttpStatusCode.OK ? (JsonNode.Parse(body), string.Empty) : (null, $"{query}: HTTP {(int)response.StatusCode} {body}");
    }

    /// <summary>Structure and strings exactly; counts exactly (or within the Prometheus bound); latencies within their bucket.</summary>
    private static void Compare(string path, JsonNode? expected, JsonNode? actual, bool exact, List<string> diffs)
    {
        switch (expected)
        {
            case JsonObject e when actual is JsonObject a:
                var keys = e.Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
                var actualKeys = a.Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
                if (!keys.SequenceEqual(actualKeys))
                {
                    diffs.Add($"{path}: keys [{string.Join(',', keys)}] vs [{string.Join(',', actualKeys)}]");
                    return;
                }

                foreach (var key in keys)
                {
                    Compare($"{path}.{key}", e[key], a[key], exact, diffs);
                }

                return;
            case JsonArray e when actual is JsonArray a:
                if (e.Count != a.Count)
                {
                    diffs.Add($"{path}: {e.Count} items vs {a.Count}: {a.ToJsonString()}");
                    return;
                }

                for (var i = 0; i < e.Count; i++)
                {
                    Compare($"{path}[{i}]", e[i], a[i], exact, diffs);
                }

                return;
            case JsonValue e when actual is JsonValue a && e.TryGetValue<double>(out var ev) && a.TryGetValue<double>(out var av):
                if (!Close(path, ev, av, exact))
                {
                    diffs.Add($"{path}: {ev.ToString(CultureInfo.InvariantCulture)} vs {av.ToString(CultureInfo.InvariantCulture)}");
                }

                return;
            default:
                if (expected?.ToJsonString() != actual?.ToJsonString())
                {
                    diffs.Add($"{path}: {expected?.ToJsonString()} vs {actual?.ToJsonString()}");
                }

                return;
        }
    }

    private static bool Close(string path, double expected, double actual, bool exact)
    {
        var leaf = path[(path.LastIndexOf('.') + 1)..];
        if (path.Contains(".latencyMs.", StringComparison.Ordinal))
        {
            // The store's percentiles interpolate within Envoy's buckets; the exact one lies in the
            // same bucket (give or take the memory histogram's 3% resolution at a bound).
            return leaf == "avg"
                ? Math.Abs(expected - actual) <= 0.01 + (0.01 * expected)
                : actual > Lower(expected * 0.97) && actual <= Upper(expected * 1.03);
        }

        if (exact)
        {
            return expected == actual;
        }

        // Prometheus extrapolates increase() to the window's end: documented bound for a series
        // born in the window, pushed every second and at least 20 s old.
        return leaf is "mtls" or "errorRate" or "trafficShare"
            ? Math.Abs(expected - actual) <= 0.05
            : Math.Abs(expected - actual) <= Math.Max(1, 0.06 * expected);
    }

    private static double Lower(double v) => Bounds.LastOrDefault(b => b < v);

    private static double Upper(double v) => Bounds.FirstOrDefault(b => b >= v, double.PositiveInfinity);
}
