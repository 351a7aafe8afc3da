using AlsAnalyzer.Server.Hosting;
using AlsAnalyzer.Server.Metrics;

namespace AlsAnalyzer.Server.Security;

internal static class SecurityServiceCollectionExtensions
{
    /// <summary>TLS, client certificates, the API token and connection limits: settings, the certificate store, its reloader and self-metrics.</summary>
    public static IServiceCollection AddAlsSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAlsSettings<SecurityOptions>(configuration);
        services.AddAlsSelfMetrics<SecurityMetrics>();
        services.AddSingleton<CertificateStore>();
        services.AddHostedService<SecretsReloader>();
        return services;
    }
}
