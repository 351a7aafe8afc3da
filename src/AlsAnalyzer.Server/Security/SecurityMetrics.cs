using AlsAnalyzer.Server.Metrics;
using Prometheus;

namespace AlsAnalyzer.Server.Security;

/// <summary>Self-metrics of TLS and the API token: secret reloads and refused API requests.</summary>
internal sealed class SecurityMetrics : ISelfMetricsComponent
{
    public const string Reloaded = "reloaded";
    public const string Failed = "failed";

    private readonly Counter _reloads;
    private readonly Counter _unauthorized;

    public SecurityMetrics(SelfMetrics metrics)
    {
        var f = metrics.Factory;
        _reloads = f.CreateCounter("als_secrets_reloads_total", "Certificate, CA or token files found changed, by result.", "result");
        _unauthorized = f.CreateCounter("als_api_unauthorized_total", "HTTP API requests refused with 401 (no or wrong bearer token).");
        SelfMetrics.Children(_reloads, [Reloaded, Failed]);
    }

    public void SecretsReloaded(string result) => _reloads.WithLabels(result).Inc();

    public void Unauthorized() => _unauthorized.Inc();
}
