using AlsAnalyzer.Core.Kubernetes;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Server.Kubernetes;

/// <summary>The Kubernetes metadata cache behind k8s-mesh: whether it runs, how it reaches the API server, how it names services, how its watches behave.</summary>
internal sealed class KubernetesOptions : ISettings
{
    public static string Section => "KubernetesCache";

    /// <summary>Metadata cache: <c>auto</c> (on with <c>KubeconfigPath</c>, <c>KUBECONFIG</c> or in a pod), <c>on</c> (also tries <c>~/.kube/config</c>), <c>off</c>.</summary>
    public string Kubernetes { get; set; } = "auto";

    /// <summary>Kubeconfig file to reach the API server; empty uses <c>KUBECONFIG</c>, then the in-cluster service account, then (with <c>Kubernetes=on</c>) <c>~/.kube/config</c>.</summary>
    public string KubeconfigPath { get; set; } = string.Empty;

    /// <summary>How k8s-mesh names a pod's service (see README).</summary>
    public string ServiceNameTemplate { get; set; } = Core.Kubernetes.ServiceNameTemplate.Default;

    /// <summary>/readyz answers 503 until every watched resource completed its first list.</summary>
    public bool ReadyRequiresKubernetesSync { get; set; } = true;

    /// <summary>Seconds a failing watch may go without contact before the API reports the cache stale.</summary>
    public int KubernetesStaleAfterSeconds { get; set; } = 60;

    /// <summary>Server-side timeout of each watch request; the watch is then resumed from its resourceVersion.</summary>
    public int KubernetesWatchTimeoutSeconds { get; set; } = 300;

    /// <summary>First retry delay after a watch error; doubles up to <see cref="KubernetesBackoffMaxSeconds"/>.</summary>
    public int KubernetesBackoffInitialMilliseconds { get; set; } = 500;

    /// <summary>Longest retry delay after watch errors.</summary>
    public int KubernetesBackoffMaxSeconds { get; set; } = 30;

    public TimeSpan BackoffInitial => TimeSpan.FromMilliseconds(KubernetesBackoffInitialMilliseconds);

    public TimeSpan BackoffMax => TimeSpan.FromSeconds(KubernetesBackoffMaxSeconds);

    public void Validate(SettingErrors errors)
    {
        errors.OneOf(nameof(Kubernetes), Kubernetes, "auto", "on", "off");
        if (KubeconfigPath.Length > 0 && !File.Exists(KubeconfigPath))
        {
            errors.Add($"Als:KubeconfigPath '{KubeconfigPath}' does not exist.");
        }

        if (!Core.Kubernetes.ServiceNameTemplate.TryParse(ServiceNameTemplate, out _, out var templateError))
        {
            errors.Add($"Als:ServiceNameTemplate is invalid: {templateError}");
        }

        errors.Range(nameof(KubernetesStaleAfterSeconds), KubernetesStaleAfterSeconds, 1, 86_400);
        errors.Range(nameof(KubernetesWatchTimeoutSeconds), KubernetesWatchTimeoutSeconds, 1, 3600);
        errors.Range(nameof(KubernetesBackoffInitialMilliseconds), KubernetesBackoffInitialMilliseconds, 1, 600_000);
        errors.Range(nameof(KubernetesBackoffMaxSeconds), KubernetesBackoffMaxSeconds, 1, 3600);
    }
}
