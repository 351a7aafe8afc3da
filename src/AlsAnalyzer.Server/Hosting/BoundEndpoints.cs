using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AlsAnalyzer.Server.Hosting;

/// <summary>The endpoints Kestrel bound (port 0 resolves to the real port once started).</summary>
internal sealed class BoundEndpoints
{
    internal ListenOptions? Grpc { get; set; }

    internal ListenOptions? Http { get; set; }

    public IPEndPoint GrpcEndPoint => Grpc?.IPEndPoint ?? throw new InvalidOperationException("The gRPC endpoint is not configured yet.");

    public IPEndPoint HttpEndPoint => Http?.IPEndPoint ?? throw new InvalidOperationException("The HTTP endpoint is not configured yet.");
}
