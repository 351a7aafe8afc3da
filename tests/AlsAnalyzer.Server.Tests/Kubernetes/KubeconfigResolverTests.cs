using AlsAnalyzer.Server.Kubernetes;

namespace AlsAnalyzer.Server.Tests.Kubernetes;

/// <summary>The order in which the cache finds its connection: setting, KUBECONFIG, in-cluster, ~/.kube/config.</summary>
public sealed class KubeconfigResolverTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("als-kubeconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Resolve_SettingAndKubeconfig_TheSettingWins()
    {
        var setting = File("setting.yaml");
        var environment = Environment(kubeconfig: File("env.yaml"), inCluster: true);

        var source = KubeconfigResolver.Resolve(new KubernetesOptions { KubeconfigPath = setting }, environment);

        Assert.Equal([setting], source!.Files);
    }

    [Fact]
    public void Resolve_KubeconfigList_KeepsTheOrderAndSkipsMissingFiles()
    {
        var first = File("first.yaml");
        var second = File("second.yaml");
        var list = string.Join(Path.PathSeparator, first, Path.Combine(_dir, "missing.yaml"), second, string.Empty);

        var source = KubeconfigResolver.Resolve(new KubernetesOptions(), Environment(kubeconfig: list, inCluster: true));

        Assert.Equal("KUBECONFIG", source!.Origin);
        Assert.Equal([first, second], source.Files);
    }

    [Fact]
    public void Resolve_KubeconfigOfMissingFilesOnly_FallsBackToInCluster()
    {
        var source = KubeconfigResolver.Resolve(new KubernetesOptions(), Environment(kubeconfig: Path.Combine(_dir, "missing.yaml"), inCluster: true));

        Assert.Same(KubeconfigSource.InCluster, source);
    }

    [Fact]
    public void Resolve_HomeKubeconfig_OnlyWhenKubernetesIsOn()
    {
        Directory.CreateDirectory(Path.Combine(_dir, ".kube"));
        var home = File(Path.Combine(".kube", "config"));

        var auto = KubeconfigResolver.Resolve(new KubernetesOptions(), Environment());
        var on = KubeconfigResolver.Resolve(new KubernetesOptions { Kubernetes = "on" }, Environment());

        Assert.Null(auto);
        Assert.False(KubeconfigResolver.Enabled(new KubernetesOptions(), Environment()));
        Assert.Equal([home], on!.Files);
    }

    [Fact]
    public void Enabled_AutoWithKubeconfigVariable_IsOn_AndOffAlwaysWins()
    {
        var environment = Environment(kubeconfig: File("env.yaml"));

        Assert.True(KubeconfigResolver.Enabled(new KubernetesOptions(), environment));
        Assert.False(KubeconfigResolver.Enabled(new KubernetesOptions { Kubernetes = "off" }, environment));
        Assert.Null(KubeconfigResolver.Resolve(new KubernetesOptions { Kubernetes = "off" }, environment));
    }

    private KubeEnvironment Environment(string? kubeconfig = null, bool inCluster = false) =>
        new(name => name == "KUBECONFIG" ? kubeconfig : null, () => inCluster, _dir);

    private string File(string name)
    {
        var path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, "apiVersion: v1\nkind: Config\n");
        return path;
    }
}
