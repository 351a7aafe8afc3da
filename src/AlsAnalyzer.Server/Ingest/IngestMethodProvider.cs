using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>Binds a service's v3 and v2 client-streaming methods to one handler, which is told the API (the <c>api</c> label) it serves.</summary>
internal sealed class IngestMethodProvider<TService, TRequest, TResponse>(
    (Method<TRequest, TResponse> Method, string Api) v3,
    (Method<TRequest, TResponse> Method, string Api) v2,
    Func<TService, IAsyncStreamReader<TRequest>, ServerCallContext, string, Task<TResponse>> stream) : IServiceMethodProvider<TService>
    where TService : class
    where TRequest : class
    where TResponse : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        foreach (var (method, api) in new[] { v3, v2 })
        {
            context.AddClientStreamingMethod(method, [], (service, requests, call) => stream(service, requests, call, api));
        }
    }
}
