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
        app.MapGet("/api/v1/topology", (ApiQueryRunner api, ProxyRegistry proxies, KubernetesCache kubernetes, string? from, string? to, string? @namespace) =>
            api.Run(from, to, @namespace, (view, window, ns) =>
                TopologyQueries.Topology(view, window, ns, (source, target) => ProxyQueries.ForEdge(proxies, window, source, target)) with
                {
                    Kubernetes = kubernetes.Enabled ? new KubernetesStatusDto(kubernetes.Synced, kubernetes.Stale, kubernetes.Current.Addresses) : null,
                }));

        app.MapGet("/api/v1/services", (ApiQueryRunner api, string? from, string? to, string? @namespace) =>
            api.Run(from, to, @namespace, static (view, window, ns) => TopologyQueries.Services(view, window, ns)));

        app.MapGet("/api/v1/services/{namespace}/{name}", (ApiQueryRunner api, ProxyRegistry proxies, string @namespace, string name, string? from, string? to) =>
            api.Run(
                from,
                to,
                null,
                (view, window, _) => TopologyQueries.Service(view, window, @namespace, name, node => ProxyQueries.ForService(proxies, window, node)),
                notFound: $"Service {@namespace}/{name} was not seen in the window."));

        app.MapGet("/api/v1/proxies", (ApiQueryRunner api, ProxyRegistry proxies, string? from, string? to, string? @namespace, string? service, string[]? stat) =>
            api.Run(from, to, @namespace, (_, window, ns) => ProxyQueries.List(proxies, window, ns, service, stat ?? []), readsAccessLogs: false));

        app.MapAlsSamples();
        app.MapAlsPage();
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
}
