using Grpc.AspNetCore.Server.Model;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>Binds the v3 and v2 <c>StreamMetrics</c> methods to <see cref="MetricsIngestService"/>.</summary>
internal sealed class MetricsMethodProvider : IServiceMethodProvider<MetricsIngestService>
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<MetricsIngestService> context)
    {
        context.AddClientStreamingMethod(
            MetricsMethods.V3,
            [],
            static (service, requests, call) => service.StreamMetrics(requests, call, MetricsIngestService.ApiV3));
        context.AddClientStreamingMethod(
            MetricsMethods.V2,
            [],
            static (service, requests, call) => service.StreamMetrics(requests, call, MetricsIngestService.ApiV2));
    }
}
