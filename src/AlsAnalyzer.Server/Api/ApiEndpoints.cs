using AlsAnalyzer.Core.Metrics;
using AlsAnalyzer.Core.Query;
using AlsAnalyzer.Server.Kubernetes;
using AlsAnalyzer.Server.Metrics;
using AlsAnalyzer.Server.StoreQueries;
using Microsoft.Extensions.Options;
using Prometheus;

namespace AlsAnalyzer.Server.Api;

/// <summary>The HTTP API: topology, services, one service, health and /metrics.</summary>
internal static class ApiEndpoints
{
    public static void MapAlsApi(this WebApplication app)
    {
        app.MapGet("/api/v1/topology", (ApiQueryRunner api, StoreApi store, IOptions<QueryStoreOptions> queryStore, ProxyRegistry proxies, KubernetesCache kubernetes, string? from, string? to, string? @namespace, string? limit, CancellationToken ct) =>
            queryStore.Value.UsesPrometheus ? store.TopologyAsync(from, to, @namespace, limit, ct) : api.RunAsync(from, to, @namespace, limit, q =>
                q.Read(minutes => TopologyQueries.Topology(
                    EdgeSlice.Of(minutes),
                    q.Window,
                    q.Namespace,
                    q.Limit,
                    (source, target) => ProxyQueries.ForEdge(proxies, q.Window, source, target))) with
                {
                    Kubernetes = kubernetes.Enabled ? new KubernetesStatusDto(kubernetes.Synced, kubernetes.Stale, kubernetes.Current.Addresses) : null,
                }));

        app.MapGet("/api/v1/services", (ApiQueryRunner api, StoreApi store, IOptions<QueryStoreOptions> queryStore, string? from, string? to, string? @namespace, string? limit, CancellationToken ct) =>
            queryStore.Value.UsesPrometheus ? store.ServicesAsync(from, to, @namespace, limit, ct) : api.RunAsync(from, to, @namespace, limit, static q =>
                q.Read(minutes => TopologyQueries.Services(EdgeSlice.Of(minutes), q.Window, q.Namespace, q.Limit))));

        app.MapGet("/api/v1/services/{namespace}/{name}", (ApiQueryRunner api, StoreApi store, IOptions<QueryStoreOptions> queryStore, ProxyRegistry proxies, string @namespace, string name, string? from, string? to, string? limit, CancellationToken ct) =>
            queryStore.Value.UsesPrometheus ? store.ServiceAsync(@namespace, name, from, to, limit, ct) : api.RunAsync(
                from,
                to,
                null,
                limit,
                q =>
                {
                    var node = Core.Model.NodeRef.Service(@namespace, name);
                    var view = q.Read(minutes => WindowView.FoldFor(minutes, node));
                    return TopologyQueries.Service(view, q.Window, @namespace, name, n => ProxyQueries.ForService(proxies, q.Window, n), q.Limit);
                },
                notFound: $"Service {@namespace}/{name} was not seen in the window."));

        app.MapGet("/api/v1/proxies", (ApiQueryRunner api, ProxyRegistry proxies, string? from, string? to, string? @namespace, string? service, string[]? stat) =>
            api.RunAsync(from, to, @namespace, null, q => ProxyQueries.List(proxies, q.Window, q.Namespace, service, stat ?? [])));

        app.MapAlsSamples();
        app.MapAlsPage();
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", async (IHostApplicationLifetime lifetime, KubernetesCache kubernetes, IOptions<KubernetesOptions> options, IOptions<QueryStoreOptions> queryStore, StoreHealth storeHealth, CancellationToken ct) =>
        {
            if (!lifetime.ApplicationStarted.IsCancellationRequested)
            {
                return Results.Text("starting", statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            if (kubernetes.Enabled && options.Value.ReadyRequiresKubernetesSync && !kubernetes.Synced)
            {
                return Results.Text("waiting for the first Kubernetes list", statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            // Answering from the store: not ready while the store cannot answer.
            return queryStore.Value.UsesPrometheus && await storeHealth.ProblemAsync(ct).ConfigureAwait(false) is { } problem
                ? Results.Text(problem, statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Text("ready");
        });

        app.MapGet("/metrics", async (HttpContext http, SelfMetrics metrics) =>
        {
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.Registry.CollectAndExportAsTextAsync(http.Response.Body, http.RequestAborted).ConfigureAwait(false);
        });
    }
}
