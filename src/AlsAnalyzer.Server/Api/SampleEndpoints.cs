using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Query;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Api;

/// <summary><c>GET /api/v1/samples</c>: the failing and slowest calls kept for one edge.</summary>
internal static class SampleEndpoints
{
    public static void MapAlsSamples(this WebApplication app) =>
        app.MapGet("/api/v1/samples", (
            Aggregator aggregator,
            SampleStore store,
            TimeProvider time,
            IOptions<ApiOptions> api,
            IOptions<AggregationOptions> aggregation,
            string? source,
            string? target,
            string? from,
            string? to) =>
        {
            var now = time.GetUtcNow();
            if (string.IsNullOrWhiteSpace(source))
            {
                return Results.BadRequest(new { error = "Query parameter 'source' is required: the calling node's id (default/productpage, external:host, unknown)." });
            }

            if (string.IsNullOrWhiteSpace(target))
            {
                return Results.BadRequest(new { error = "Query parameter 'target' is required: the called node's id (default/reviews, external:host)." });
            }

            if (!WindowParser.TryParse(from, to, now, api.Value.DefaultQueryMinutes, out var window, out var error))
            {
                return Results.BadRequest(new { error });
            }

            // Fold the shards first, so that the candidates of the last second are in the answer.
            aggregator.Flush(aggregation.Value.Retention.OldestMinute(now));
            return Results.Ok(SampleQueries.Samples(store, window, source, target));
        });
}
