using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Analysis;

/// <summary>How entries are analysed: the analyzer chains and the accepted clock skew.</summary>
internal sealed class AnalysisOptions : ISettings
{
    /// <summary>The analyzer that needs the Kubernetes cache.</summary>
    public const string K8sMesh = "k8s-mesh";

    /// <summary>The analyzer that reads peer metadata from filter state.</summary>
    public const string MxMesh = "mx-mesh";

    public static string Section => "Analysis";

    /// <summary>How far (seconds) an entry's time may be ahead of this server's clock.</summary>
    public int MaxFutureSkewSeconds { get; set; } = 300;

    /// <summary>
    /// Analyzer chain for HTTP entries, comma separated, in order. Empty: <c>k8s-mesh,mx-mesh</c>
    /// when the Kubernetes cache is enabled, else <c>mx-mesh</c>. Alias: <c>SW_ENVOY_METRIC_ALS_HTTP_ANALYSIS</c>.
    /// </summary>
    public string HttpAnalyzers { get; set; } = string.Empty;

    /// <summary>Analyzer chain for TCP entries, as <see cref="HttpAnalyzers"/>. Alias: <c>SW_ENVOY_METRIC_ALS_TCP_ANALYSIS</c>.</summary>
    public string TcpAnalyzers { get; set; } = string.Empty;

    /// <summary><c>k8s-mesh,mx-mesh</c> when Kubernetes is on, else <c>mx-mesh</c>, unless the setting names a chain.</summary>
    public static string[] EffectiveNames(string setting, bool kubernetes)
    {
        var names = (setting ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length > 0)
        {
            return names;
        }

        return kubernetes ? [K8sMesh, MxMesh] : [MxMesh];
    }

    public void Validate(SettingErrors errors)
    {
        errors.Range(nameof(MaxFutureSkewSeconds), MaxFutureSkewSeconds, 0, 24 * 3600);
    }

    /// <summary>
    /// The chains' checks, which depend on whether the Kubernetes cache is on (another
    /// subsystem's settings): unknown or repeated names, and k8s-mesh without the cache.
    /// </summary>
    public void ValidateChains(SettingErrors errors, bool kubernetes)
    {
        Chain(errors, nameof(HttpAnalyzers), HttpAnalyzers, kubernetes);
        Chain(errors, nameof(TcpAnalyzers), TcpAnalyzers, kubernetes);
    }

    private static void Chain(SettingErrors errors, string key, string setting, bool kubernetes)
    {
        var names = EffectiveNames(setting, kubernetes);
        foreach (var name in names)
        {
            if (name is not (K8sMesh or MxMesh))
            {
                errors.Add($"Als:{key} names unknown analyzer '{name}' (available: {K8sMesh}, {MxMesh}).");
            }
            else if (name == K8sMesh && !kubernetes)
            {
                errors.Add($"Als:{key} names {K8sMesh}, but the Kubernetes cache is off (with Als:Kubernetes=auto it runs when Als:KubeconfigPath or KUBECONFIG names a kubeconfig, or in a pod; Als:Kubernetes=on also tries ~/.kube/config).");
            }
        }

        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
        {
            errors.Add($"Als:{key} names an analyzer twice: '{setting}'.");
        }
    }
}
