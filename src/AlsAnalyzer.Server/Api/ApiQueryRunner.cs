using System.Globalization;
using System.Text.Json;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Query;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Api;

/// <summary>
/// Runs one API query: parses its window and limit (400 naming the bad parameter), runs it on
/// the <see cref="QueryScheduler"/> (503 with <c>Retry-After</c> when too many are waiting),
/// serialises the answer there, and answers 404 when the query finds nothing. An answer over
/// <see cref="ApiOptions.MaxQueryResponseBytes"/> is recomputed with a proportionally smaller
/// limit (it then says <c>"truncated": true</c>), so no answer exceeds the cap. Each query's
/// working set is bounded by the memory budget's <c>queries</c> share split between the
/// <see cref="ApiOptions.MaxConcurrentQueries"/> that may run at once.
/// </summary>
internal sealed class ApiQueryRunner(
    Aggregator aggregator,
    QueryScheduler scheduler,
    TimeProvider time,
    IOptions<ApiOptions> api,
    IOptions<AggregationOptions> aggregation,
    IOptions<MemoryOptions> memory,
    IOptions<JsonOptions> json)
{
    /// <summary>Seconds a refused client is told to wait: queries take milliseconds to a second.</summary>
    public const int RetryAfterSeconds = 1;

    public async Task<IResult> RunAsync<T>(
        string? from,
        string? to,
        string? ns,
        string? limit,
        Func<ApiQuery, T?> run,
        string? notFound = null)
        where T : class
    {
        var settings = api.Value;
        var now = time.GetUtcNow();
        if (TryParse(settings, now, from, to, ns, limit, out var window, out var max) is { } bad)
        {
            return bad;
        }

        var workingEdges = TopologyQueries.WorkingEdgesFor(memory.Value.Budget.QueryBytes / settings.MaxConcurrentQueries);
        var query = new ApiQuery(window, ns, new QueryLimit(max, workingEdges), aggregator, aggregation.Value.Retention.OldestMinute(now));
        var scheduled = scheduler.TrySchedule(() => Answer(query, run, settings.MaxQueryResponseBytes));
        if (scheduled is null)
        {
            return new TooBusy();
        }

        var bytes = await scheduled.ConfigureAwait(false);
        return bytes is null
            ? Results.NotFound(new { error = notFound })
            : Results.Bytes(bytes, "application/json; charset=utf-8");
    }

    /// <summary>Parses a query's window, namespace and limit; a 400 naming the bad parameter, or null when they are good.</summary>
    internal static IResult? TryParse(ApiOptions settings, DateTimeOffset now, string? from, string? to, string? ns, string? limit, out QueryWindow window, out int max)
    {
        max = settings.DefaultQueryLimit;
        if (!WindowParser.TryParse(from, to, now, settings.DefaultQueryMinutes, out window, out var error))
        {
            return Results.BadRequest(new { error });
        }

        if (ns is { Length: 0 })
        {
            return Results.BadRequest(new { error = "Query parameter 'namespace' is empty; omit it or name a namespace." });
        }

        if (limit is not null
            && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out max) || max < 1 || max > settings.MaxQueryLimit))
        {
            return Results.BadRequest(new { error = $"Query parameter 'limit' is '{limit}'; expected a whole number from 1 to {settings.MaxQueryLimit} (Als:MaxQueryLimit)." });
        }

        return null;
    }

    private byte[]? Answer<T>(ApiQuery query, Func<ApiQuery, T?> run, int maxBytes)
        where T : class
    {
        var options = json.Value.SerializerOptions;
        while (true)
        {
            var result = run(query);
            if (result is null)
            {
                return null;
            }

            var bytes = JsonSerializer.SerializeToUtf8Bytes(result, options);
            if (bytes.Length <= maxBytes || query.Limit.Max <= 1)
            {
                return bytes;
            }

            // Items are of similar size: scale the limit to the cap, with a tenth to spare.
            var scaled = (int)(query.Limit.Max * (maxBytes / (double)bytes.Length) * 0.9);
            query = query with { Limit = query.Limit with { Max = Math.Clamp(scaled, 1, query.Limit.Max - 1) } };
        }
    }

    /// <summary>503 with <c>Retry-After</c> and a JSON error.</summary>
    private sealed class TooBusy : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return Results.Json(
                    new { error = "Too many queries are running or waiting (Als:MaxConcurrentQueries, Als:MaxQueuedQueries); retry later." },
                    statusCode: StatusCodes.Status503ServiceUnavailable)
                .ExecuteAsync(httpContext);
        }
    }
}
