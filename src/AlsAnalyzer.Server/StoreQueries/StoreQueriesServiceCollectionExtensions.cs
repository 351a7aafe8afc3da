using AlsAnalyzer.Server.Hosting;

namespace AlsAnalyzer.Server.StoreQueries;

internal static class StoreQueriesServiceCollectionExtensions
{
    /// <summary>The query store's settings and, for <c>QueryStore=prometheus</c>, the PromQL client and the API answered from it.</summary>
    public static IServiceCollection AddAlsStoreQueries(this IServiceCollection services, IConfiguration configuration) =>
        services.AddAlsSettings<QueryStoreOptions>(configuration)
            .AddSingleton<PrometheusClient>()
            .AddSingleton<StoreReader>()
            .AddSingleton<StoreHealth>()
            .AddSingleton<StoreApi>();
}
