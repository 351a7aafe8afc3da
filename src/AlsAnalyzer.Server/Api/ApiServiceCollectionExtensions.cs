using AlsAnalyzer.Server.Hosting;

namespace AlsAnalyzer.Server.Api;

internal static class ApiServiceCollectionExtensions
{
    /// <summary>The HTTP API's settings and query runner; <see cref="ApiEndpoints.MapAlsApi"/> maps its routes.</summary>
    public static IServiceCollection AddAlsApi(this IServiceCollection services, IConfiguration configuration) =>
        services.AddAlsSettings<ApiOptions>(configuration).AddSingleton<ApiQueryRunner>();
}
