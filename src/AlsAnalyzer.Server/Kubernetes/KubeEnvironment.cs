namespace AlsAnalyzer.Server.Kubernetes;

/// <summary>
/// What the process environment says about reaching a Kubernetes API server: the
/// <c>KUBECONFIG</c> variable, the home directory and whether it runs in a pod. One instance
/// per host, so tests can describe an environment without changing the process's own.
/// </summary>
internal sealed class KubeEnvironment(Func<string, string?> variable, Func<bool> inCluster, string home)
{
    public static KubeEnvironment System { get; } = new(
        Environment.GetEnvironmentVariable,
        k8s.KubernetesClientConfiguration.IsInCluster,
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>The raw <c>KUBECONFIG</c> value: files separated by the platform's path separator.</summary>
    public string? Kubeconfig => variable("KUBECONFIG");

    public bool InCluster => inCluster();

    public string Home => home;
}
