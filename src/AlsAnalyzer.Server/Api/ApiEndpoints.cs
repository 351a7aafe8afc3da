using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Metrics;
using AlsAnalyzer.Core.Query;
using AlsAnalyzer.Server.Kubernetes;
using AlsAnalyzer.Server.Metrics;
using Microsoft.Extensions.Options;
using Prometheus;

namespace AlsAnalyzer.Server.Api;

/// <summary>The HTTP API: topology, services, one service, health and /metrics.</summary>
internal static class ApiEndpoints
{
    public static void MapAlsApi(this WebApplication app)
    {
        app.MapGet("/api/v1/topology", (HttpContext http, ProxyRegistry proxies, KubernetesCache kubernetes, string? from, string? to, string? @namespace) =>
            Query(http, from, to, @namespace, (view, window, ns) =>
                TopologyQueries.Topology(view, window, ns, (source, target) => ProxyQueries.ForEdge(proxies, window, source, target)) with
                {
                    Kubernetes = kubernetes.Enabled ? new KubernetesStatusDto(kubernetes.Synced, kubernetes.Stale, kubernetes.Current.Addresses) : null,
                }));

        app.MapGet("/api/v1/services", (HttpContext http, string? from, string? to, string? @namespace) =>
            Query(http, from, to, @namespace, static (view, window, ns) => TopologyQueries.Services(view, window, ns)));

        app.MapGet("/api/v1/services/{namespace}/{name}", (HttpContext http, ProxyRegistry proxies, string @namespace, string name, string? from, string? to) =>
            Query(
                http,
                from,
                to,
                null,
                (view, window, _) => TopologyQueries.Service(view, window, @namespace, name, node => ProxyQueries.ForService(proxies, window, node)),
                notFound: $"Service {@namespace}/{name} was not seen in the window."));

        app.MapGet("/api/v1/proxies", (HttpContext http, ProxyRegistry proxies, string? from, string? to, string? @namespace, string? service, string[]? stat) =>
            Query(http, from, to, @namespace, (_, window, ns) => ProxyQueries.List(proxies, window, ns, service, stat ?? []), readsAccessLogs: false));

        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", (IHostApplicationLifetime lifetime, KubernetesCache kubernetes, IOptions<KubernetesOptions> options) =>
        {
            if (!lifetime.ApplicationStarted.IsCancellationRequested)
            {
                return Results.Text("starting", statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            return kubernetes.Enabled && options.Value.ReadyRequiresKubernetesSync && !kubernetes.Synced
                ? Results.Text("waiting for the first Kubernetes list", statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Text("ready");
        });

        app.MapGet("/metrics", async (HttpContext http, SelfMetrics metrics) =>
        {
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.Registry.CollectAndExportAsTextAsync(http.Response.Body, http.RequestAborted).ConfigureAwait(false);
        });
    }

    private static IResult Query<T>(
        HttpContext http,
        string? from,
        string? to,
        string? ns,
        Func<WindowView, QueryWindow, string?, T?> run,
        string? notFound = null,
        bool readsAccessLogs = true)
        where T : class
    {
        var services = http.RequestServices;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var defaultMinutes = services.GetRequiredService<IOptions<ApiOptions>>().Value.DefaultQueryMinutes;
        if (!WindowParser.TryParse(from, to, now, defaultMinutes, out var window, out var error))
        {
            return Results.BadRequest(new { error });
        }

        if (ns is { Length: 0 })
        {
            return Results.BadRequest(new { error = "Query parameter 'namespace' is empty; omit it or name a namespace." });
        }

        var view = new WindowView();
        if (readsAccessLogs)
        {
            var aggregator = services.GetRequiredService<Aggregator>();
            var oldest = services.GetRequiredService<IOptions<AggregationOptions>>().Value.Retention.OldestMinute(now);
            view = aggregator.Read(oldest, window.FromMinute, window.ToMinute, WindowView.Fold);
        }

        var result = run(view, window, ns);
        return result is null ? Results.NotFound(new { error = notFound }) : Results.Ok(result);
    }
}
