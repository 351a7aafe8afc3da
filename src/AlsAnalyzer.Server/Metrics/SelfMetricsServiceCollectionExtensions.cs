using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AlsAnalyzer.Server.Metrics;

internal static class SelfMetricsServiceCollectionExtensions
{
    /// <summary>Registers a component's self-metrics (and the registry they share), created when the host starts.</summary>
    public static IServiceCollection AddAlsSelfMetrics<T>(this IServiceCollection services)
        where T : class, ISelfMetricsComponent
    {
        services.TryAddSingleton<SelfMetrics>();
        services.TryAddSingleton<T>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISelfMetricsComponent, T>(sp => sp.GetRequiredService<T>()));
        return services;
    }
}
