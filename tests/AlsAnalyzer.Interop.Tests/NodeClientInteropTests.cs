using System.Globalization;
using System.Text.Json;
using AlsAnalyzer.Testing;
using Microsoft.Extensions.Logging;

namespace AlsAnalyzer.Interop.Tests;

/// <summary>
/// A client we did not write the serializer of — Node.js @grpc/grpc-js with proto-loader over the
/// official Envoy protos — streams a Bookinfo mesh's access logs to the real server, over v3 and
/// v2; the topology the HTTP API answers must then match the scenario exactly. The scenario is
/// fixed in tests/interop/als-client.mjs; the figures expected here are derived from it by hand.
/// </summary>
public sealed class NodeClientInteropTests(NodeClient node)
{
    private const string Unknown = "unknown";
    private const string Gateway = "istio-system/istio-ingressgateway";
    private const string Productpage = "default/productpage";
    private const string Reviews = "default/reviews";
    private const string Details = "default/details";
    private const string Ratings = "default/ratings";
    private const string Mysql = "default/mysql";

    // Per call, as the script logs it: request 300 header bytes (gRPC: 250 + 12 body); response
    // 200 header bytes + a body per service when it succeeded, 120 + 30 when it failed, nothing
    // when there was no response.
    private const long GetBytes = 300;
    private const long FailedResponseBytes = 120 + 30;

    private static readonly TimeSpan ClientTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The scenario's edges, keyed by (source, target, protocol).</summary>
    private static readonly Dictionary<(string Source, string Target, string Protocol), ExpectedEdge> Expected = new()
    {
        // The gateway's downstream half: 12 requests from outside (plain HTTP, so no mTLS), one 503.
        [(Unknown, Gateway, "http")] = new(
            Client: null,
            Server: Http(requests: 12, errors: 1, ok: 11, fiveXx: 1, latencyMs: 22, mtls: 0.0, bytesSent: 12 * GetBytes, bytesReceived: (11 * (200 + 5000)) + FailedResponseBytes)),

        // The gateway's upstream half, and productpage's inbound side of the same 12 requests.
        [(Gateway, Productpage, "http")] = new(
            Client: Http(requests: 12, errors: 1, ok: 11, fiveXx: 1, latencyMs: 22, mtls: null, bytesSent: 12 * GetBytes, bytesReceived: (11 * (200 + 5000)) + FailedResponseBytes),
            Server: Http(requests: 12, errors: 1, ok: 11, fiveXx: 1, latencyMs: 20, mtls: 1.0, bytesSent: 12 * GetBytes, bytesReceived: (11 * (200 + 5000)) + FailedResponseBytes)),

        // Six calls to reviews v1, six to v2 (one 500).
        [(Productpage, Reviews, "http")] = new(
            Client: Http(requests: 12, errors: 1, ok: 11, fiveXx: 1, latencyMs: 9, mtls: null, bytesSent: 12 * GetBytes, bytesReceived: (11 * (200 + 400)) + FailedResponseBytes),
            Server: Http(requests: 12, errors: 1, ok: 11, fiveXx: 1, latencyMs: 8, mtls: 1.0, bytesSent: 12 * GetBytes, bytesReceived: (11 * (200 + 400)) + FailedResponseBytes)),

        // One gRPC call, recognised by its HTTP/2 POST to /package.Service/Method alone.
        [(Productpage, Reviews, "grpc")] = new(
            Client: Http(requests: 1, errors: 0, ok: 1, fiveXx: 0, latencyMs: 6, mtls: null, bytesSent: 250 + 12, bytesReceived: 200 + 45),
            Server: Http(requests: 1, errors: 0, ok: 1, fiveXx: 0, latencyMs: 5, mtls: 1.0, bytesSent: 250 + 12, bytesReceived: 200 + 45)),

        // 11 answered calls, reported by both sides (details over v2), and one that got no
        // response (UF), which only productpage's sidecar saw.
        [(Productpage, Details, "http")] = new(
            Client: Http(requests: 12, errors: 1, ok: 11, fiveXx: 0, latencyMs: ((11 * 4) + 1) / 12.0, mtls: null, bytesSent: 12 * GetBytes, bytesReceived: 11 * (200 + 180), noResponse: 1, flags: new() { ["UF"] = 1 }, quantilesMs: 4),
            Server: Http(requests: 11, errors: 0, ok: 11, fiveXx: 0, latencyMs: 3, mtls: 1.0, bytesSent: 11 * GetBytes, bytesReceived: 11 * (200 + 180))),

        // Two connections: bytes from their final entries only (mysql's periodic entry adds none).
        [(Productpage, Mysql, "tcp")] = new(
            Client: Tcp(connections: 2, mtls: null, bytesSent: 5000 + 3000, bytesReceived: 700 + 400),
            Server: Tcp(connections: 2, mtls: 1.0, bytesSent: 5000 + 3000, bytesReceived: 700 + 400)),

        // reviews v2 calls ratings once per request it serves.
        [(Reviews, Ratings, "http")] = new(
            Client: Http(requests: 6, errors: 0, ok: 6, fiveXx: 0, latencyMs: 3, mtls: null, bytesSent: 6 * GetBytes, bytesReceived: 6 * (200 + 60)),
            Server: Http(requests: 6, errors: 0, ok: 6, fiveXx: 0, latencyMs: 2, mtls: 1.0, bytesSent: 6 * GetBytes, bytesReceived: 6 * (200 + 60))),
    };

    [Fact]
    public async Task NodeGrpcJsClient_StreamsIstioMeshWithOfficialProtos_TopologyMatchesScenarioExactly()
    {
        // Arrange
        await using var server = await AlsTestServer.StartAsync();
        var now = DateTimeOffset.UtcNow;

        // Act
        var run = await node.RunAsync(server.GrpcAddress, ClientTimeout, TestContext.Current.CancellationToken);
        TestContext.Current.TestOutputHelper?.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
        using var summary = JsonDocument.Parse(run.Stdout.Trim().Split('\n')[^1]);

        // An explicit window around the run: the entries are timed "now" by the client's clock.
        var from = now.AddMinutes(-10).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var to = now.AddMinutes(5).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var topology = await server.GetJsonAsync($"/api/v1/topology?from={from}&to={to}");
        var reviews = await server.GetJsonAsync($"/api/v1/services/default/reviews?from={from}&to={to}");
        var metrics = await server.ScrapeAsync();
        TestContext.Current.TestOutputHelper?.WriteLine(topology.ToString());

        // Assert: what the client says it sent.
        Assert.Equal(90, summary.RootElement.GetProperty("entries").GetInt64());
        Assert.Equal(7, summary.RootElement.GetProperty("streams").GetArrayLength());
        Assert.All(summary.RootElement.GetProperty("streams").EnumerateArray(), s => Assert.True(s.GetProperty("messages").GetInt32() >= 2, s.ToString()));

        // Assert: nodes.
        var nodes = topology.GetProperty("nodes").EnumerateArray()
            .ToDictionary(n => n.GetProperty("id").GetString()!, n => n.GetProperty("kind").GetString());
        Assert.Equal(
            new Dictionary<string, string?>
            {
                [Unknown] = "unknown",
                [Gateway] = "gateway",
                [Productpage] = "service",
                [Reviews] = "service",
                [Details] = "service",
                [Ratings] = "service",
                [Mysql] = "service",
            },
            nodes);

        // Assert: edges, each side's figures.
        var edges = topology.GetProperty("edges").EnumerateArray()
            .ToDictionary(e => (e.GetProperty("source").GetString()!, e.GetProperty("target").GetString()!, e.GetProperty("protocol").GetString()!));
        Assert.Equal(Expected.Keys.Order(), edges.Keys.Order());
        foreach (var (key, expected) in Expected)
        {
            AssertEdge(edges[key], expected, $"{key.Source} -> {key.Target} ({key.Protocol})");
        }

        // Assert: one service in detail — its two pods and its two endpoints, HTTP and gRPC.
        var instances = reviews.GetProperty("instances").EnumerateArray()
            .Select(i => (i.GetProperty("name").GetString(), i.GetProperty("inbound").GetInt64(), i.GetProperty("inboundErrors").GetInt64(), i.GetProperty("outbound").GetInt64()))
            .ToList();
        Assert.Equal([("reviews-v1-5b5d6494f4-k8s2m", 7L, 0L, 0L), ("reviews-v2-7d79d5bd5d-q9wlz", 6L, 1L, 6L)], instances);
        var endpoints = reviews.GetProperty("endpoints").EnumerateArray()
            .Select(e => (e.GetProperty("endpoint").GetString(), e.GetProperty("protocol").GetString(), e.GetProperty("requests").GetInt64(), e.GetProperty("errors").GetInt64()))
            .ToList();
        Assert.Equal([("GET /reviews/{id}", "http", 12L, 1L), ("POST /reviews.Reviews/Get", "grpc", 1L, 0L)], endpoints);

        // Assert: self-metrics. Every entry received is accounted for; the gateway's 12 entries
        // are unattributed (their downstream is an outside caller: node "unknown").
        var received = metrics.Get("als_entries_received_total");
        Assert.Equal(summary.RootElement.GetProperty("entries").GetInt64(), received);
        Assert.Equal(
            received,
            metrics.Get("als_entries_analyzed_total") + metrics.Get("als_entries_unattributed_total") + metrics.Sum("als_entries_rejected_total"));
        Assert.Equal(78, metrics.Get("als_entries_analyzed_total"));
        Assert.Equal(12, metrics.Get("als_entries_unattributed_total"));
        Assert.Equal(0, metrics.Sum("als_entries_rejected_total"));
        Assert.Equal(summary.RootElement.GetProperty("messages").GetInt64(), metrics.Get("als_messages_received_total"));
        Assert.Equal(0, metrics.Sum("als_messages_rejected_total"));
        Assert.Equal(0, metrics.Sum("als_peer_metadata_errors_total"));
        Assert.Equal(6, metrics.Get("als_streams_total{api=\"accesslog_v3\"}"));
        Assert.Equal(1, metrics.Get("als_streams_total{api=\"accesslog_v2\"}"));
        Assert.Equal(0, metrics.Sum("als_streams_open"));
        Assert.Empty(server.Logs.AtLeast(LogLevel.Warning));
    }

    private static ExpectedSide Http(
        long requests,
        long errors,
        long ok,
        long fiveXx,
        double latencyMs,
        double? mtls,
        long bytesSent,
        long bytesReceived,
        long noResponse = 0,
        Dictionary<string, long>? flags = null,
        double? quantilesMs = null) =>
        new(requests, errors, [noResponse, 0, ok, 0, 0, fiveXx], latencyMs, quantilesMs ?? latencyMs, mtls, bytesSent, bytesReceived, Connections: null, flags);

    private static ExpectedSide Tcp(long connections, double? mtls, long bytesSent, long bytesReceived) =>
        new(Requests: null, Errors: 0, StatusCodes: null, LatencyMs: null, QuantilesMs: null, mtls, bytesSent, bytesReceived, connections, ResponseFlags: null);

    private static void AssertEdge(JsonElement edge, ExpectedEdge expected, string what)
    {
        // The top-level figures are the server's when the server reported, else the client's.
        var reportedBy = expected.Server is not null ? "server" : "client";
        Assert.True(edge.GetProperty("reportedBy").GetString() == reportedBy, $"{what}: reportedBy {edge.GetProperty("reportedBy")}, expected {reportedBy}");
        AssertSide(edge, expected.Server ?? expected.Client!, $"{what} (top level)");
        AssertOptionalSide(edge, "client", expected.Client, what);
        AssertOptionalSide(edge, "server", expected.Server, what);
    }

    private static void AssertOptionalSide(JsonElement edge, string name, ExpectedSide? expected, string what)
    {
        var present = edge.TryGetProperty(name, out var side) && side.ValueKind != JsonValueKind.Null;
        Assert.True(present == expected is not null, $"{what}: {name} side {(present ? "present" : "absent")}, expected {(expected is null ? "absent" : "present")}");
        if (expected is not null)
        {
            AssertSide(side, expected, $"{what} ({name})");
        }
    }

    private static void AssertSide(JsonElement actual, ExpectedSide expected, string what)
    {
        Assert.True(Optional(actual, "requests")?.GetInt64() == expected.Requests, $"{what}: requests {Optional(actual, "requests")}, expected {expected.Requests}");
        Assert.True(actual.GetProperty("errors").GetInt64() == expected.Errors, $"{what}: errors {actual.GetProperty("errors")}, expected {expected.Errors}");
        Assert.True(actual.GetProperty("bytesSent").GetInt64() == expected.BytesSent, $"{what}: bytesSent {actual.GetProperty("bytesSent")}, expected {expected.BytesSent}");
        Assert.True(actual.GetProperty("bytesReceived").GetInt64() == expected.BytesReceived, $"{what}: bytesReceived {actual.GetProperty("bytesReceived")}, expected {expected.BytesReceived}");
        Assert.True(Optional(actual, "connections")?.GetInt64() == expected.Connections, $"{what}: connections {Optional(actual, "connections")}, expected {expected.Connections}");
        Assert.True(Optional(actual, "mtls")?.GetDouble() == expected.Mtls, $"{what}: mtls {Optional(actual, "mtls")}, expected {expected.Mtls}");

        var statusCodes = Optional(actual, "statusCodes");
        if (expected.StatusCodes is null)
        {
            Assert.True(statusCodes is null, $"{what}: statusCodes {statusCodes}, expected none");
        }
        else
        {
            Assert.True(statusCodes is not null, $"{what}: no statusCodes");
            var classes = new[] { "0", "1xx", "2xx", "3xx", "4xx", "5xx" };
            Assert.Equal(classes.Zip(expected.StatusCodes).ToDictionary(), statusCodes.Value.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64()));
        }

        var flags = Optional(actual, "responseFlags")?.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        Assert.Equal(expected.ResponseFlags, flags);

        var latency = Optional(actual, "latencyMs");
        if (expected.LatencyMs is not { } latencyMs)
        {
            Assert.True(latency is null, $"{what}: latencyMs {latency}, expected none");
        }
        else
        {
            Assert.True(latency is not null, $"{what}: no latencyMs");

            // The average is exact (a sum over a count); quantiles are histogram bucket
            // midpoints, within 1/64 of the value.
            Assert.Equal(Math.Round(latencyMs, 3), latency.Value.GetProperty("avg").GetDouble(), 6);
            var quantilesMs = expected.QuantilesMs!.Value;
            foreach (var quantile in new[] { "p50", "p90", "p95", "p99" })
            {
                var value = latency.Value.GetProperty(quantile).GetDouble();
                Assert.True(Math.Abs(value - quantilesMs) <= quantilesMs / 64, $"{what}: latency {quantile} {value} ms, expected {quantilesMs} ms within 1/64");
            }
        }
    }

    /// <summary>A property's value, or null when it is absent or JSON null.</summary>
    private static JsonElement? Optional(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private sealed record ExpectedEdge(ExpectedSide? Client, ExpectedSide? Server);

    private sealed record ExpectedSide(
        long? Requests,
        long Errors,
        long[]? StatusCodes,
        double? LatencyMs,
        double? QuantilesMs,
        double? Mtls,
        long BytesSent,
        long BytesReceived,
        long? Connections,
        Dictionary<string, long>? ResponseFlags);
}
