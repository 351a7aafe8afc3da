using System.Security.Cryptography;
using System.Text;
using AlsAnalyzer.Server.Hosting;
using Grpc.AspNetCore.Server;

namespace AlsAnalyzer.Server.Security;

/// <summary>
/// Request middleware after routing: gRPC methods answer only on the ingest port and every
/// other route (API, /metrics, health) only on the HTTP port; anything else is a 404, as if
/// the route did not exist there. On the HTTP port, when a token is set, every path but the
/// probes needs <c>Authorization: Bearer &lt;token&gt;</c>.
/// </summary>
internal static class PortAccess
{
    private const string Bearer = "Bearer ";

    public static void UseAlsPortAccess(this WebApplication app)
    {
        var bound = app.Services.GetRequiredService<BoundEndpoints>();
        var store = app.Services.GetRequiredService<CertificateStore>();
        var metrics = app.Services.GetRequiredService<SecurityMetrics>();
        var logger = app.Services.GetRequiredService<ILogger<CertificateStore>>();
        app.Use((context, next) =>
        {
            var grpc = context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is not null;
            var ingestPort = context.Connection.LocalPort == bound.GrpcEndPoint.Port;
            if (grpc != ingestPort)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            if (!ingestPort && !IsOpen(context.Request.Path) && !Authorized(context.Request.Headers.Authorization.ToString(), store.TokenHash))
            {
                metrics.Unauthorized();
                SecurityLog.Unauthorized(logger, context.Request.Path.Value ?? string.Empty);
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return Task.CompletedTask;
            }

            return next(context);
        });
    }

    /// <summary>The probes, and the topology page's static files (no data: the page asks for the token before it calls the API).</summary>
    private static bool IsOpen(PathString path) =>
        path == "/healthz" || path == "/readyz" || path == "/" || path.StartsWithSegments("/ui", StringComparison.Ordinal);

    /// <summary>
    /// Compares SHA-256 digests in constant time: the digests have a fixed length, so neither the
    /// token's length nor its common prefix with the guess shows in the timing.
    /// </summary>
    internal static bool Authorized(string header, ReadOnlySpan<byte> tokenHash)
    {
        if (tokenHash.IsEmpty)
        {
            return true;
        }

        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(header[Bearer.Length..].Trim()), hash);
        return CryptographicOperations.FixedTimeEquals(hash, tokenHash);
    }
}
