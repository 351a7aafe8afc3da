using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.IstioMetrics;
using AlsAnalyzer.Server.Hosting;
using AlsAnalyzer.Server.Metrics;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.IstioMetrics;

internal static class IstioMetricsServiceCollectionExtensions
{
    /// <summary>
    /// Istio's standard series: the store the collector folds the shards' Istio tables into
    /// (handed to the aggregation as its <see cref="IShardTables"/> when enabled), remote write,
    /// and their self-metrics. <see cref="MapAlsIstioMetrics"/> maps <c>/metrics/istio</c>.
    /// </summary>
    public static IServiceCollection AddAlsIstioMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAlsSettings<IstioMetricsOptions>(configuration);
        services.AddAlsSettings<RemoteWriteOptions>(configuration);
        services.AddSingleton(sp => new IstioSeriesStore(sp.GetRequiredService<IOptions<IstioMetricsOptions>>().Value, sp.GetRequiredService<TimeProvider>())
        {
            RemoteWriteConsumer = sp.GetRequiredService<IOptions<RemoteWriteOptions>>().Value.Enabled,
        });

        // Null when disabled: the shards then keep no Istio table at all.
        services.AddSingleton<IShardTables>(sp => sp.GetRequiredService<IOptions<IstioMetricsOptions>>().Value.IstioMetricsEnabled
            ? sp.GetRequiredService<IstioSeriesStore>()
            : null!);
        services.AddSingleton<EdgeSeries>();
        services.AddSingleton<RemoteWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<RemoteWriter>());
        services.AddAlsSelfMetrics<IstioMetricsSelfMetrics>();
        return services;
    }

    /// <summary><c>GET /metrics/istio</c>: the Istio series, Prometheus text or (if <c>Accept</c> asks for it) OpenMetrics.</summary>
    public static void MapAlsIstioMetrics(this WebApplication app)
    {
        app.MapGet("/metrics/istio", async (HttpContext http, IstioSeriesStore store, Aggregator aggregator, IOptions<IstioMetricsOptions> options, IOptions<AggregationOptions> aggregation, TimeProvider time) =>
        {
            if (!options.Value.IstioMetricsEnabled)
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            // Current to the call, as the API's queries are: fold what the shards hold first.
            aggregator.Flush(aggregation.Value.Retention.OldestMinute(time.GetUtcNow()));
            var openMetrics = http.Request.Headers.Accept.ToString().Contains("application/openmetrics-text", StringComparison.OrdinalIgnoreCase);
            http.Response.ContentType = openMetrics ? IstioTextWriter.OpenMetricsContentType : IstioTextWriter.PrometheusContentType;
            store.WriteText(http.Response.BodyWriter, openMetrics);
            await http.Response.BodyWriter.FlushAsync(http.RequestAborted).ConfigureAwait(false);
        });
    }
}
