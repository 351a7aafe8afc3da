using k8s;
using k8s.KubeConfigModels;

namespace AlsAnalyzer.Server.Kubernetes;

/// <summary>Where the cache's connection comes from: kubeconfig files (merged in order) or the pod's service account.</summary>
internal sealed record KubeconfigSource(string Origin, IReadOnlyList<string> Files)
{
    public static KubeconfigSource InCluster { get; } = new("in-cluster service account", []);

    /// <summary>For the start-up log: the origin and the files read.</summary>
    public string Description => Files.Count == 0 ? Origin : $"{Origin}: {string.Join(Path.PathSeparator, Files)}";

    /// <summary>
    /// Reads the files the way kubectl does: merged in order, the first file that sets a
    /// value (current-context, a named cluster, context or user) wins; a relative file path in
    /// a file (certificate authority, client certificate and key) is relative to that file's
    /// folder.
    /// </summary>
    public KubernetesClientConfiguration Build()
    {
        if (Files.Count == 0)
        {
            return KubernetesClientConfiguration.InClusterConfig();
        }

        var merged = KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(Files[0]), useRelativePaths: true);
        foreach (var file in Files.Skip(1))
        {
            // The client resolves relative paths against one file's folder (the first's), so
            // the later files' paths are made absolute before they are merged in.
            var next = WithAbsolutePaths(KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(file), useRelativePaths: true), file);
            merged.CurrentContext = string.IsNullOrEmpty(merged.CurrentContext) ? next.CurrentContext : merged.CurrentContext;
            merged.Clusters = FirstByName(merged.Clusters, next.Clusters, c => c.Name);
            merged.Contexts = FirstByName(merged.Contexts, next.Contexts, c => c.Name);
            merged.Users = FirstByName(merged.Users, next.Users, u => u.Name);
        }

        return KubernetesClientConfiguration.BuildConfigFromConfigObject(merged);
    }

    private static K8SConfiguration WithAbsolutePaths(K8SConfiguration config, string file)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(file)) ?? string.Empty;
        string? Absolute(string? path) => string.IsNullOrEmpty(path) || Path.IsPathRooted(path) ? path : Path.Combine(folder, path);
        foreach (var cluster in config.Clusters ?? [])
        {
            if (cluster.ClusterEndpoint is { } endpoint)
            {
                endpoint.CertificateAuthority = Absolute(endpoint.CertificateAuthority);
            }
        }

        foreach (var user in config.Users ?? [])
        {
            if (user.UserCredentials is { } credentials)
            {
                credentials.ClientCertificate = Absolute(credentials.ClientCertificate);
                credentials.ClientKey = Absolute(credentials.ClientKey);
            }
        }

        return config;
    }

    private static List<T> FirstByName<T>(IEnumerable<T>? first, IEnumerable<T>? then, Func<T, string> name)
    {
        var all = new List<T>(first ?? []);
        var names = all.Select(name).ToHashSet(StringComparer.Ordinal);
        all.AddRange((then ?? []).Where(item => names.Add(name(item))));
        return all;
    }
}
