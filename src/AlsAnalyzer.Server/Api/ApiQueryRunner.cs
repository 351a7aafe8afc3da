using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Query;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Api;

/// <summary>
/// Runs one API query: parses its window (400 naming the bad parameter), folds the minute ring
/// over that window, and answers 404 when the query finds nothing.
/// </summary>
internal sealed class ApiQueryRunner(Aggregator aggregator, TimeProvider time, IOptions<ApiOptions> api, IOptions<AggregationOptions> aggregation)
{
    public IResult Run<T>(
        string? from,
        string? to,
        string? ns,
        Func<WindowView, QueryWindow, string?, T?> run,
        string? notFound = null,
        bool readsAccessLogs = true)
        where T : class
    {
        var now = time.GetUtcNow();
        if (!WindowParser.TryParse(from, to, now, api.Value.DefaultQueryMinutes, out var window, out var error))
        {
            return Results.BadRequest(new { error });
        }

        if (ns is { Length: 0 })
        {
            return Results.BadRequest(new { error = "Query parameter 'namespace' is empty; omit it or name a namespace." });
        }

        var view = readsAccessLogs
            ? aggregator.Read(aggregation.Value.Retention.OldestMinute(now), window.FromMinute, window.ToMinute, WindowView.Fold)
            : new WindowView();
        var result = run(view, window, ns);
        return result is null ? Results.NotFound(new { error = notFound }) : Results.Ok(result);
    }
}
