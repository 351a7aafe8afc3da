using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Server.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Hosting;

internal static class MemoryServiceCollectionExtensions
{
    /// <summary>
    /// The memory budget (<see cref="MemoryOptions"/>), split by <see cref="MemoryBudget"/>: the
    /// subsystems that hold a share read it from here; its self-metrics show each share and use.
    /// </summary>
    public static IServiceCollection AddAlsMemoryBudget(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAlsSettings<MemoryOptions>(configuration);
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<MemoryOptions>>().Value.Budget);
        services.TryAddSingleton(sp => TcpConnectionBudget.FromBytes(sp.GetRequiredService<MemoryBudget>().TcpConnectionBytes));
        services.AddAlsSelfMetrics<MemoryMetrics>();
        return services;
    }
}
