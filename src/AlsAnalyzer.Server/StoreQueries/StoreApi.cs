using System.Text.Json;
using System.Text.Json.Nodes;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Query;
using AlsAnalyzer.Server.Api;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.StoreQueries;

/// <summary>
/// <c>/api/v1/topology</c>, <c>/api/v1/services</c> and <c>/api/v1/services/{ns}/{name}</c>
/// answered from the store (<c>QueryStore=prometheus</c>): the same parameters, limits and JSON
/// as the memory store, built by the same <see cref="TopologyQueries"/> over the edges the
/// store gives. What the store does not hold (a service's instances, endpoints and proxies,
/// the metrics service's upstream clusters) is absent. A store that cannot answer gives 503
/// with the reason; ingest does not depend on it.
/// </summary>
internal sealed partial class StoreApi(
    StoreReader reader,
    TimeProvider time,
    IOptions<ApiOptions> api,
    IOptions<JsonOptions> json,
    ILogger<StoreApi> logger)
{
    public Task<IResult> TopologyAsync(string? from, string? to, string? ns, string? limit, CancellationToken cancellationToken) =>
        RunAsync(from, to, ns, limit, async (window, max) =>
        {
            string[] selectors = ns is null ? [] :
            [
                StoreReader.Matcher("source_workload_namespace", ns),
                StoreReader.Matcher("destination_workload_namespace", ns),
                StoreReader.Matcher("destination_service_namespace", ns),
            ];
            var w = await reader.ReadAsync(window, selectors, serviceLatency: false, cancellationToken).ConfigureAwait(false);
            var keys = Keys(w);
            return Limited(max, limit =>
            {
                var topology = TopologyQueries.Topology([EdgeSlice.Of(w.View)], window, ns, limit);
                return topology with { Edges = [.. topology.Edges.Select(e => w.WithLatency(e, keys[(e.Source, e.Target, e.Protocol)]))] };
            });
        });

    public Task<IResult> ServicesAsync(string? from, string? to, string? ns, string? limit, CancellationToken cancellationToken) =>
        RunAsync(from, to, ns, limit, async (window, max) =>
        {
            var w = await reader.ReadAsync(window, [], serviceLatency: true, cancellationToken).ConfigureAwait(false);
            return Limited(max, limit =>
            {
                var services = TopologyQueries.Services([EdgeSlice.Of(w.View)], window, ns, limit);
                return services with
                {
                    Services = [.. services.Services.Select(s => s with { LatencyMs = w.InboundLatency(NodeRef.Service(s.Namespace, s.Name)) })],
                };
            });
        });

    public Task<IResult> ServiceAsync(string ns, string name, string? from, string? to, string? limit, CancellationToken cancellationToken) =>
        RunAsync(from, to, null, limit, async (window, max) =>
        {
            // Destination matchers first: the service's own inbound sums must come from them (or keeps the left side).
            string[] selectors =
            [
                StoreReader.Matcher("destination_workload_namespace", ns) + "," + StoreReader.Matcher("destination_canonical_service", name),
                StoreReader.Matcher("destination_service_namespace", ns) + "," + StoreReader.Matcher("destination_service_name", name),
                StoreReader.Matcher("source_workload_namespace", ns) + "," + StoreReader.Matcher("source_canonical_service", name),
            ];
            var w = await reader.ReadAsync(window, selectors, serviceLatency: true, cancellationToken).ConfigureAwait(false);
            var keys = Keys(w);
            var node = NodeRef.Service(ns, name);
            return Limited(max, limit =>
            {
                var detail = TopologyQueries.Service(w.View, window, ns, name, null, limit);
                return detail is null
                    ? null
                    : detail with
                    {
                        Service = detail.Service with { LatencyMs = w.InboundLatency(node) },
                        Inbound = [.. detail.Inbound.Select(e => w.WithLatency(e, keys[(e.Source, e.Target, e.Protocol)]))],
                        Outbound = [.. detail.Outbound.Select(e => w.WithLatency(e, keys[(e.Source, e.Target, e.Protocol)]))],
                    };
            }, absent: ["instances", "endpoints", "proxies"]);
        }, notFound: $"Service {ns}/{name} was not seen in the window.");

    private static Dictionary<(string, string, string), EdgeKey> Keys(StoreWindow w) =>
        w.View.Edges.Keys.ToDictionary(k => (k.Source.Id, k.Target.Id, Figures.ProtocolName(k.Protocol)));

    private async Task<IResult> RunAsync(
        string? from,
        string? to,
        string? ns,
        string? limit,
        Func<QueryWindow, int, Task<byte[]?>> answer,
        string? notFound = null)
    {
        if (ApiQueryRunner.TryParse(api.Value, time.GetUtcNow(), from, to, ns, limit, out var window, out var max) is { } bad)
        {
            return bad;
        }

        try
        {
            var bytes = await answer(window, max).ConfigureAwait(false);
            return bytes is null
                ? Results.NotFound(new { error = notFound })
                : Results.Bytes(bytes, "application/json; charset=utf-8");
        }
        catch (StoreUnavailableException ex)
        {
            LogStoreUnavailable(logger, ex.Message);
            return Results.Json(new { error = ex.Message }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>As the memory store does: an answer over <see cref="ApiOptions.MaxQueryResponseBytes"/> is rebuilt with a proportionally smaller limit.</summary>
    private byte[]? Limited<T>(int max, Func<QueryLimit, T?> build, string[]? absent = null)
        where T : class
    {
        var options = json.Value.SerializerOptions;
        var maxBytes = api.Value.MaxQueryResponseBytes;
        while (true)
        {
            var result = build(new QueryLimit(max));
            if (result is null)
            {
                return null;
            }

            byte[] bytes;
            if (absent is null)
            {
                bytes = JsonSerializer.SerializeToUtf8Bytes(result, options);
            }
            else
            {
                var node = JsonSerializer.SerializeToNode(result, options)!.AsObject();
                foreach (var name in absent)
                {
                    node.Remove(name);
                }

                bytes = JsonSerializer.SerializeToUtf8Bytes(node, options);
            }

            if (bytes.Length <= maxBytes || max <= 1)
            {
                return bytes;
            }

            max = Math.Clamp((int)(max * (maxBytes / (double)bytes.Length) * 0.9), 1, max - 1);
        }
    }

    [LoggerMessage(1401, LogLevel.Warning, "API answered 503: {Reason}")]
    private static partial void LogStoreUnavailable(ILogger logger, string reason);
}
