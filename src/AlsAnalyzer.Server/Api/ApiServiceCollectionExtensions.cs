using AlsAnalyzer.Server.Hosting;
using AlsAnalyzer.Server.Metrics;
using AlsAnalyzer.Server.StoreQueries;

namespace AlsAnalyzer.Server.Api;

internal static class ApiServiceCollectionExtensions
{
    /// <summary>The HTTP API's settings, query scheduler and runner, and self-metrics; <see cref="ApiEndpoints.MapAlsApi"/> maps its routes.</summary>
    public static IServiceCollection AddAlsApi(this IServiceCollection services, IConfiguration configuration) =>
        services.AddAlsSettings<ApiOptions>(configuration)
            .AddSingleton<QueryScheduler>()
            .AddSingleton<ApiQueryRunner>()
            .AddAlsSelfMetrics<ApiMetrics>()
            .AddAlsStoreQueries(configuration);
}
