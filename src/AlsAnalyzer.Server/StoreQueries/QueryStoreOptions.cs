using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Server.StoreQueries;

/// <summary>Where the topology API reads from: this replica's memory, or a Prometheus-compatible store every replica remote-writes to.</summary>
internal sealed class QueryStoreOptions : ISettings
{
    public const string Memory = "memory";
    public const string Prometheus = "prometheus";

    public static string Section => "QueryStore";

    /// <summary><c>memory</c>: this replica's minute ring; <c>prometheus</c>: PromQL over <see cref="PrometheusUrl"/>, summed across replicas.</summary>
    public string QueryStore { get; set; } = Memory;

    /// <summary>Base URL of a Prometheus-compatible HTTP query API (the part before <c>/api/v1/query</c>); required with <c>prometheus</c>.</summary>
    public string PrometheusUrl { get; set; } = string.Empty;

    /// <summary>Seconds one PromQL query may take before the API answers 503.</summary>
    public int PrometheusTimeoutSeconds { get; set; } = 10;

    public bool UsesPrometheus => QueryStore == Prometheus;

    public void Validate(SettingErrors errors)
    {
        errors.OneOf(nameof(QueryStore), QueryStore, Memory, Prometheus);
        if (UsesPrometheus && PrometheusUrl.Length == 0)
        {
            errors.Add($"Als:{nameof(PrometheusUrl)} is empty; Als:{nameof(QueryStore)}=prometheus needs the base URL of a Prometheus-compatible query API (e.g. http://victoria-metrics:8428 or http://prometheus:9090).");
        }
        else if (PrometheusUrl.Length > 0 && !(Uri.TryCreate(PrometheusUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            errors.Add($"Als:{nameof(PrometheusUrl)} is '{PrometheusUrl}'; it must be an absolute http(s) URL.");
        }

        errors.Range(nameof(PrometheusTimeoutSeconds), PrometheusTimeoutSeconds, 1, 300);
    }
}
