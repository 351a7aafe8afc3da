using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Persistence;
using AlsAnalyzer.Server.Kubernetes;
using AlsAnalyzer.Server.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Hosting;

internal static class AnalysisServiceCollectionExtensions
{
    /// <summary>Entry analysis: its settings and analyzer chains (k8s-mesh needs <see cref="AddAlsKubernetes"/>).</summary>
    public static IServiceCollection AddAlsAnalysis(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAlsSettings<AnalysisOptions>(configuration);
        services.AddAlsMemoryBudget(configuration);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AnalysisOptions>, AnalyzerChains>());
        services.AddSingleton(sp => new EntryAnalyzer(AnalyzerChains.Settings(
            sp.GetRequiredService<IOptions<AnalysisOptions>>().Value,
            sp.GetRequiredService<IOptions<AggregationOptions>>().Value,
            sp.GetRequiredService<IOptions<DecodingOptions>>().Value,
            sp.GetRequiredService<KubernetesCache>()) with
        {
            TcpConnections = sp.GetRequiredService<TcpConnectionBudget>(),
        }));
        return services;
    }

    /// <summary>The minute ring, the per-edge samples, the collector that folds the ingest shards into it, and its self-metrics.</summary>
    public static IServiceCollection AddAlsAggregation(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAlsSettings<AggregationOptions>(configuration);
        services.AddAlsSettings<SampleOptions>(configuration);
        services.AddAlsMemoryBudget(configuration);
        services.AddSingleton(sp => new SampleStore(sp.GetRequiredService<IOptions<SampleOptions>>().Value, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<MemoryBudget>().SampleBytes));
        services.AddSingleton(sp => new Aggregator(
            sp.GetRequiredService<IOptions<AggregationOptions>>().Value,
            tables: sp.GetService<IShardTables>(),
            samples: sp.GetRequiredService<SampleStore>(),
            budget: AggregationBudget.From(sp.GetRequiredService<Core.Model.MemoryBudget>())));
        services.AddAlsSelfMetrics<AggregationMetrics>();
        services.AddAlsSelfMetrics<SampleMetrics>();
        services.AddHostedService<Collector>();
        return services;
    }

    /// <summary>The aggregate snapshots: restored at start-up, written every interval and (by the collector) at shutdown; their self-metrics.</summary>
    public static IServiceCollection AddAlsSnapshots(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAlsSettings<SnapshotOptions>(configuration);
        services.AddAlsSelfMetrics<SnapshotMetrics>();
        services.AddSingleton<SnapshotStore>();
        services.AddHostedService<SnapshotService>();
        return services;
    }

    /// <summary>The Kubernetes metadata cache behind k8s-mesh (idle unless its settings turn it on) and its self-metrics.</summary>
    public static IServiceCollection AddAlsKubernetes(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAlsSettings<KubernetesOptions>(configuration);
        services.TryAddSingleton(KubeEnvironment.System);
        services.AddAlsSelfMetrics<KubeMetrics>();
        services.AddSingleton<KubernetesCache>();
        services.AddHostedService(sp => sp.GetRequiredService<KubernetesCache>());
        return services;
    }
}
