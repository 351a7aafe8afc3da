using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Ingest;
using AlsAnalyzer.Core.Metrics;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Server.Hosting;
using AlsAnalyzer.Server.Metrics;
using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Server.Model;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Ingest;

internal static class IngestServiceCollectionExtensions
{
    /// <summary>The access log service on the ingest port: its settings, pipeline (by <see cref="IngestOptions.IngestMode"/>), read loop and self-metrics.</summary>
    public static IServiceCollection AddAlsIngest(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAlsSettings<IngestOptions>(configuration);
        services.AddAlsSettings<DecodingOptions>(configuration);

        // The decode tables hold at most their share of the memory budget, whatever DecodeTableMegabytes says.
        services.AddAlsMemoryBudget(configuration);
        services.AddOptions<DecodingOptions>().PostConfigure<IOptions<MemoryOptions>>((decoding, memory) =>
            decoding.DecodeTableMegabytes = (int)Math.Max(1, Math.Min(decoding.DecodeTableMegabytes, memory.Value.Budget.DecodeTableBytes / (1024 * 1024))));
        services.AddAlsSelfMetrics<IngestStreamMetrics>();
        services.AddAlsSelfMetrics<AccessLogMetrics>();
        services.TryAddSingleton<IngestDrain>();
        services.TryAddSingleton<IngestStreamLoop>();
        services.AddSingleton<IAccessLogPipeline>(sp =>
        {
            var analyzer = sp.GetRequiredService<EntryAnalyzer>();
            var aggregator = sp.GetRequiredService<Aggregator>();
            var time = sp.GetRequiredService<TimeProvider>();
            var decoding = sp.GetRequiredService<IOptions<DecodingOptions>>().Value;
            return sp.GetRequiredService<IOptions<IngestOptions>>().Value.IngestMode switch
            {
                IngestOptions.Discard => new DiscardPipeline(),
                IngestOptions.Reference => new ReferencePipeline(analyzer, aggregator, time, decoding),
                _ => new AnalyzePipeline(analyzer, aggregator, time, decoding),
            };
        });
        services.AddSingleton<AccessLogIngestService>();
        services.AddGrpc();
        services.AddSingleton<IConfigureOptions<GrpcServiceOptions>>(sp =>
            new ConfigureOptions<GrpcServiceOptions>(g => g.MaxReceiveMessageSize = sp.GetRequiredService<IOptions<IngestOptions>>().Value.MaxReceiveMessageBytes));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<AccessLogIngestService>>(
            new IngestMethodProvider<AccessLogIngestService, RawPayload, Envoy.Service.Accesslog.V3.StreamAccessLogsResponse>(
                (IngestMethods.AccessLogV3, IngestApis.AccessLogV3),
                (IngestMethods.AccessLogV2, IngestApis.AccessLogV2),
                static (service, requests, call, api) => service.StreamAccessLogs(requests, call, api))));
        services.AddGrpcHealthChecks();
        return services;
    }

    /// <summary>The Envoy Metrics Service on the ingest port: its settings, the proxies' state and self-metrics.</summary>
    public static IServiceCollection AddAlsMetricsService(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAlsSettings<MetricsServiceOptions>(configuration);
        services.AddAlsMemoryBudget(configuration);
        services.AddSingleton(sp => new ProxyRegistry(
            sp.GetRequiredService<IOptions<MetricsServiceOptions>>().Value,
            sp.GetRequiredService<IOptions<AggregationOptions>>().Value.Retention,
            sp.GetRequiredService<Core.Model.MemoryBudget>().MetricsServiceBytes));
        services.AddAlsSelfMetrics<MetricsServiceMetrics>();
        services.TryAddSingleton<IngestDrain>();
        services.TryAddSingleton<IngestStreamLoop>();
        services.AddSingleton<MetricsIngestService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<MetricsIngestService>>(
            new IngestMethodProvider<MetricsIngestService, IngestMessage<Envoy.Service.Metrics.V3.StreamMetricsMessage>, Envoy.Service.Metrics.V3.StreamMetricsResponse>(
                (IngestMethods.MetricsV3, IngestApis.MetricsV3),
                (IngestMethods.MetricsV2, IngestApis.MetricsV2),
                static (service, requests, call, api) => service.StreamMetrics(requests, call, api))));
        return services;
    }
}
