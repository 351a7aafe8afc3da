namespace AlsAnalyzer.Server.Kubernetes;

/// <summary>
/// Chooses the cache's connection in the order Kubernetes users know from kubectl and
/// client-go: the <c>KubeconfigPath</c> setting, then <c>KUBECONFIG</c> (a list of files; the
/// missing ones are skipped, as kubectl does), then the in-cluster service account, then
/// <c>~/.kube/config</c> - the last only with <c>Kubernetes=on</c>, so that a developer's own
/// kubeconfig never turns the cache on by itself.
/// </summary>
internal static class KubeconfigResolver
{
    public static KubeconfigSource? Resolve(KubernetesOptions options, KubeEnvironment environment)
    {
        if (options.Kubernetes == "off")
        {
            return null;
        }

        if (options.KubeconfigPath.Length > 0)
        {
            return new KubeconfigSource("KubeconfigPath setting", [options.KubeconfigPath]);
        }

        if (environment.Kubeconfig is { Length: > 0 } list)
        {
            var files = list
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(File.Exists)
                .Distinct(StringComparer.Ordinal)
                .ToArray();
            if (files.Length > 0)
            {
                return new KubeconfigSource("KUBECONFIG", files);
            }
        }

        if (environment.InCluster)
        {
            return KubeconfigSource.InCluster;
        }

        var home = Path.Combine(environment.Home, ".kube", "config");
        return options.Kubernetes == "on" && File.Exists(home) ? new KubeconfigSource("~/.kube/config", [home]) : null;
    }

    /// <summary>Whether the cache runs: <c>on</c>, or <c>auto</c> with a source found.</summary>
    public static bool Enabled(KubernetesOptions options, KubeEnvironment environment) => options.Kubernetes switch
    {
        "on" => true,
        "off" => false,
        _ => Resolve(options, environment) is not null,
    };
}
