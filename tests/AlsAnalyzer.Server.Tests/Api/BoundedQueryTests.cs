using System.Net;
using System.Text.Json;
using AlsAnalyzer.Server.Api;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace AlsAnalyzer.Server.Tests.Api;

/// <summary>The real server answering limited, size-capped queries, and refusing a burst with 503.</summary>
public sealed class BoundedQueryTests
{
    [Fact]
    public async Task Topology_LimitBelowTheMesh_TruncatedWithWhatWasOmitted()
    {
        await using var server = await StartWithMeshAsync();

        var full = await server.GetJsonAsync("/api/v1/topology");
        var limited = await server.GetJsonAsync("/api/v1/topology?limit=2");

        Assert.False(full.GetProperty("truncated").GetBoolean());
        Assert.False(full.TryGetProperty("omitted", out _));
        var allEdges = full.GetProperty("edges").GetArrayLength();
        var allNodes = full.GetProperty("nodes").GetArrayLength();
        Assert.True(limited.GetProperty("truncated").GetBoolean());
        var omitted = limited.GetProperty("omitted");
        Assert.Equal(allEdges - 2, omitted.GetProperty("edges").GetInt32());
        Assert.Equal(allNodes - 2, omitted.GetProperty("nodes").GetInt32());

        // The two busiest nodes are productpage (gateway in, reviews and details out) and
        // reviews; the edges between them are its HTTP and gRPC calls.
        Assert.Equal(["default/productpage", "default/reviews"], limited.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetString()));
        Assert.Equal(
            ["grpc", "http"],
            limited.GetProperty("edges").EnumerateArray()
                .Select(e => (e.GetProperty("source").GetString(), e.GetProperty("target").GetString(), e.GetProperty("protocol").GetString()))
                .Where(e => e.Item1 == "default/productpage" && e.Item2 == "default/reviews")
                .Select(e => e.Item3)
                .Order(StringComparer.Ordinal));
        Assert.InRange(omitted.GetProperty("trafficShare").GetDouble(), 0.01, 0.99);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("2001")]
    public async Task Topology_BadLimit_400NamingTheParameter(string limit)
    {
        await using var server = await AlsTestServer.StartAsync();

        using var response = await server.Http.GetAsync($"/api/v1/topology?limit={limit}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'limit'", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Topology_AnswerOverByteCap_RecomputedSmallerAndTruncated()
    {
        await using var server = await StartWithMeshAsync("MaxQueryResponseBytes=4096");

        using var response = await server.Http.GetAsync("/api/v1/topology", TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.InRange(body.Length, 1, 4096);
        using var json = JsonDocument.Parse(body);
        Assert.True(json.RootElement.GetProperty("truncated").GetBoolean());
        Assert.NotEqual(0, json.RootElement.GetProperty("edges").GetArrayLength());
    }

    [Fact]
    public async Task Services_Limit_KeepsTheMostCalled()
    {
        await using var server = await StartWithMeshAsync();

        var services = await server.GetJsonAsync("/api/v1/services?limit=1");

        Assert.True(services.GetProperty("truncated").GetBoolean());
        var only = Assert.Single(services.GetProperty("services").EnumerateArray());
        Assert.Equal("default/reviews", only.GetProperty("id").GetString());
        Assert.True(services.GetProperty("omitted").GetProperty("services").GetInt32() > 0);
    }

    [Fact]
    public async Task Queries_QueryThreadsBusyAndQueueFull_503WithRetryAfterAndCounted()
    {
        await using var server = await AlsTestServer.StartAsync("MaxConcurrentQueries=1", "MaxQueuedQueries=0");
        var scheduler = server.Services.GetRequiredService<QueryScheduler>();
        using var gate = new ManualResetEventSlim();
        var blocker = scheduler.TrySchedule(() => gate.Wait(TimeSpan.FromSeconds(30)));
        Assert.NotNull(blocker);

        using (var refused = await server.Http.GetAsync("/api/v1/topology", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
            Assert.Contains("MaxConcurrentQueries", await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }

        gate.Set();
        await blocker.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        using var answered = await server.Http.GetAsync("/api/v1/topology", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        var metrics = await server.ScrapeAsync();
        Assert.Equal(1, metrics.Get("als_api_queries_rejected_total"));
    }

    [Fact]
    public async Task QueryThreads_RunBelowIngestPriority()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "thread nice values are a Linux notion");
        await using var server = await AlsTestServer.StartAsync("MaxConcurrentQueries=2", "QueryThreadNice=7");
        _ = await server.GetJsonAsync("/api/v1/topology");

        // /proc/self/task/<tid>/stat: "tid (comm) state ..."; nice is the 19th field.
        var nices = new List<int>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (nices.Count(n => n == 7) < 2 && DateTime.UtcNow < deadline)
        {
            nices.Clear();
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                string stat;
                try
                {
                    stat = File.ReadAllText(Path.Combine(task, "stat"));
                }
                catch (IOException)
                {
                    continue;
                }

                var close = stat.LastIndexOf(')');
                var comm = stat[(stat.IndexOf('(') + 1)..close];
                if (comm.StartsWith("als-query-", StringComparison.Ordinal))
                {
                    nices.Add(int.Parse(stat[(close + 2)..].Split(' ')[16], System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        // Servers of other tests in this process run query threads at the default nice (10).
        Assert.Equal(2, nices.Count(n => n == 7));
        Assert.DoesNotContain(0, nices);
    }

    private static async Task<AlsTestServer> StartWithMeshAsync(params string[] settings)
    {
        var server = await AlsTestServer.StartAsync(settings);
        using var client = new AlsClient(server.GrpcAddress);
        await MeshScenario.Build(DateTimeOffset.UtcNow.AddSeconds(-30)).SendAsync(client);
        return server;
    }
}
