using Grpc.AspNetCore.Server.Model;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>Binds the v3 and v2 <c>StreamAccessLogs</c> methods to <see cref="AccessLogIngestService"/>.</summary>
internal sealed class AccessLogMethodProvider : IServiceMethodProvider<AccessLogIngestService>
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<AccessLogIngestService> context)
    {
        context.AddClientStreamingMethod(
            AccessLogMethods.V3,
            [],
            static (service, requests, call) => service.StreamAccessLogs(requests, call, AccessLogIngestService.ApiV3));
        context.AddClientStreamingMethod(
            AccessLogMethods.V2,
            [],
            static (service, requests, call) => service.StreamAccessLogs(requests, call, AccessLogIngestService.ApiV2));
    }
}
