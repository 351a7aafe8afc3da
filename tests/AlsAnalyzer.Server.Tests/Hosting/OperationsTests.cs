using System.Net;
using AlsAnalyzer.Server.Hosting;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Tests.Hosting;

/// <summary>What operators touch: /metrics under promtool, configuration errors, health, query parameters, many streams.</summary>
public sealed class OperationsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Metrics_AfterTraffic_PassPromtoolCheck()
    {
        await using var server = await AlsTestServer.StartAsync();
        using var client = new AlsClient(server.GrpcAddress);
        await MeshScenario.Build(DateTimeOffset.UtcNow).SendAsync(client);
        var exposition = await server.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative), Ct);

        var (exitCode, output) = await RunPromtoolAsync(exposition);

        Assert.True(exitCode == 0, $"promtool check metrics exited {exitCode}:\n{output}");
        Assert.Contains("als_entries_received_total", exposition, StringComparison.Ordinal);
        Assert.Contains("als_ingest_message_duration_seconds_bucket", exposition, StringComparison.Ordinal);
        Assert.Contains("als_snapshot_writes_total{result=\"failed\"}", exposition, StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_InvalidSettings_ReportsEveryProblemAtOnce()
    {
        string[] args = ["--Als:GrpcPort=70000", "--Als:RetentionMinutes=0", "--Als:HttpAnalyzers=mx-mesh,bogus", "--Als:ListenAddress=nowhere"];

        var ex = Assert.Throws<OptionsValidationException>(() => AlsHost.Build(args));

        Assert.Equal(4, ex.Failures.Count());
        Assert.Contains(ex.Failures, f => f.Contains("Als:GrpcPort is 70000", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Als:RetentionMinutes is 0", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("unknown analyzer 'bogus'", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Als:ListenAddress 'nowhere'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/api/v1/topology?from=yesterday", "'from'")]
    [InlineData("/api/v1/topology?to=0001-01-01T00:00:00Z", "'to'")]
    [InlineData("/api/v1/services?from=0001-01-01T00:00:00Z", "'from'")]
    [InlineData("/api/v1/topology?to=12:00", "'to'")]
    [InlineData("/api/v1/topology?from=2000&to=1000", "'from'")]
    [InlineData("/api/v1/topology?namespace=", "'namespace'")]
    [InlineData("/api/v1/services?from=-5", "'from'")]
    [InlineData("/api/v1/services/default/reviews?to=x", "'to'")]
    public async Task Api_BadQueryParameter_Is400NamingTheParameter(string path, string parameter)
    {
        await using var server = await AlsTestServer.StartAsync();

        using var response = await server.Http.GetAsync(new Uri(path, UriKind.Relative), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(parameter, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_ExplicitWindow_InRfc3339AndUnixSeconds_SelectsTheSameMinutes()
    {
        await using var server = await AlsTestServer.StartAsync();
        using var client = new AlsClient(server.GrpcAddress);
        var start = DateTimeOffset.UtcNow.AddMinutes(-2);
        await client.SendAsync([Calls.HttpMessage([Calls.Outbound(new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details, Start = start })], Nodes.Sidecar(Mesh.Productpage))], cancellationToken: Ct);
        var from = start.AddMinutes(-1);
        var to = start.AddMinutes(1);

        var rfc = await server.GetJsonAsync($"/api/v1/topology?from={from.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}&to={to.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}");
        var unix = await server.GetJsonAsync($"/api/v1/topology?from={from.ToUnixTimeSeconds()}&to={to.ToUnixTimeSeconds()}");
        var before = await server.GetJsonAsync($"/api/v1/topology?from={from.AddMinutes(-30).ToUnixTimeSeconds()}&to={from.AddMinutes(-5).ToUnixTimeSeconds()}");

        Assert.Equal(1, rfc.GetProperty("edges").GetArrayLength());
        Assert.Equal(1, unix.GetProperty("edges").GetArrayLength());
        Assert.Equal(0, before.GetProperty("edges").GetArrayLength());
    }

    [Fact]
    public async Task Health_And_Readiness_AnswerOk()
    {
        await using var server = await AlsTestServer.StartAsync();

        Assert.Equal("ok", await server.Http.GetStringAsync(new Uri("/healthz", UriKind.Relative), Ct));
        Assert.Equal("ready", await server.Http.GetStringAsync(new Uri("/readyz", UriKind.Relative), Ct));
    }

    [Fact]
    public async Task ManyConcurrentStreams_NoEntryLost()
    {
        const int Streams = 400;
        const int MessagesPerStream = 5;
        const int EntriesPerMessage = 10;
        await using var server = await AlsTestServer.StartAsync();
        using var client = new AlsClient(server.GrpcAddress);
        var call = new HttpCall { Source = Mesh.Productpage, Destination = Mesh.ReviewsV1, Encoding = PeerEncoding.FlatNode };
        var entry = Calls.Outbound(call);

        await Task.WhenAll(Enumerable.Range(0, Streams).Select(_ => client.SendAsync(
            Enumerable.Range(0, MessagesPerStream).Select(i => Calls.HttpMessage(Enumerable.Repeat(entry, EntriesPerMessage), i == 0 ? Nodes.Sidecar(Mesh.Productpage) : null)),
            cancellationToken: Ct)));
        var m = await server.ScrapeAsync();
        var edge = (await server.GetJsonAsync("/api/v1/topology")).GetProperty("edges")[0];

        Assert.Equal(Streams * MessagesPerStream * EntriesPerMessage, m.Get("als_entries_analyzed_total"));
        Assert.Equal(Streams * MessagesPerStream * EntriesPerMessage, edge.GetProperty("requests").GetInt64());
        Assert.Equal(Streams, m.Get("als_streams_total{api=\"accesslog_v3\"}"));
        Assert.Equal(0, m.Get("als_streams_open{api=\"accesslog_v3\"}"));
    }

    [Fact]
    public async Task IngestModes_AnalyzeAndReference_AnswerTheSameTopology()
    {
        var start = DateTimeOffset.UtcNow.AddSeconds(-30);

        var (analyze, _) = await MeshAnswerAsync(start, "IngestMode=analyze");
        var (reference, _) = await MeshAnswerAsync(start, "IngestMode=reference");

        Assert.Equal(analyze, reference);
    }

    [Fact]
    public async Task DecodeTables_TooSmallForTheMesh_SameTopologyAndNewGenerationsCounted()
    {
        // Arrange / Act: the same mesh into a server with default tables and one whose tables hold one key each.
        var start = DateTimeOffset.UtcNow.AddSeconds(-30);
        var (full, _) = await MeshAnswerAsync(start);
        var (small, tiny) = await MeshAnswerAsync(start, "MaxInternedStrings=1", "MaxInternedEndpoints=1", "MaxCachedPeers=1");

        // Assert: nothing is lost past a full table (it starts empty again), and the new
        // generations show in the self-metrics.
        Assert.Equal(full, small);
        foreach (var table in new[] { "strings", "endpoints", "endpoint_paths", "clusters", "peers" })
        {
            Assert.Equal(1, tiny[$"als_decode_table_capacity{{table=\"{table}\"}}"]);
            Assert.True(tiny[$"als_decode_table_entries{{table=\"{table}\"}}"] <= 2, table);
            Assert.True(tiny[$"als_decode_table_resets_total{{table=\"{table}\"}}"] > 0, table);
            Assert.InRange(tiny[$"als_decode_table_bytes{{table=\"{table}\"}}"], 1, tiny[$"als_decode_table_byte_capacity{{table=\"{table}\"}}"]);
        }
    }

    /// <summary>
    /// Sends the mesh scenario (starting at <paramref name="start"/>) to a server with
    /// <paramref name="settings"/>: its topology edges, nodes and services as one text, and its metrics.
    /// </summary>
    private static async Task<(string Answer, IReadOnlyDictionary<string, double> Metrics)> MeshAnswerAsync(DateTimeOffset start, params string[] settings)
    {
        var from = start.AddMinutes(-2).ToUnixTimeSeconds();
        var to = start.AddMinutes(2).ToUnixTimeSeconds();
        await using var server = await AlsTestServer.StartAsync(settings);
        using var client = new AlsClient(server.GrpcAddress);
        await MeshScenario.Build(start).SendAsync(client);
        var topology = await server.GetJsonAsync($"/api/v1/topology?from={from}&to={to}");
        var services = await server.GetJsonAsync($"/api/v1/services?from={from}&to={to}");
        return (topology.GetProperty("edges").ToString() + topology.GetProperty("nodes") + services, await server.ScrapeAsync());
    }

    private static async Task<(int ExitCode, string Output)> RunPromtoolAsync(string exposition)
    {
        ProcessResult result;
        try
        {
            result = await ProcessResult.RunAsync("promtool", ["check", "metrics"], Environment.CurrentDirectory, TimeSpan.FromMinutes(1), Ct, standardInput: exposition);
        }
        catch (InvalidOperationException ex) when (ex.InnerException is System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException("promtool is not installed: `apt-get install -y prometheus` (.ci/run installs it).", ex);
        }

        return (result.ExitCode, result.Stdout + result.Stderr);
    }
}
