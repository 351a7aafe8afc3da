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
    public void Resolve_HomeKubeconfig_OnlyWhenKubernetesIsOn_AndAfterInCluster()
    {
        Directory.CreateDirectory(Path.Combine(_dir, ".kube"));
        var home = File(Path.Combine(".kube", "config"));

        var auto = KubeconfigResolver.Resolve(new KubernetesOptions(), Environment());
        var on = KubeconfigResolver.Resolve(new KubernetesOptions { Kubernetes = "on" }, Environment());

        Assert.Null(auto);
        Assert.False(KubeconfigResolver.Enabled(new KubernetesOptions(), Environment()));
        Assert.Equal([home], on!.Files);

        // In a pod the service account comes first, whatever the home directory holds.
        Assert.Same(KubeconfigSource.InCluster, KubeconfigResolver.Resolve(new KubernetesOptions { Kubernetes = "on" }, Environment(inCluster: true)));
        Assert.True(KubeconfigResolver.Enabled(new KubernetesOptions(), Environment(inCluster: true)));
    }

    [Fact]
    public void Enabled_AutoWithKubeconfigVariable_IsOn_AndOffAlwaysWins()
    {
        var environment = Environment(kubeconfig: File("env.yaml"));

        Assert.True(KubeconfigResolver.Enabled(new KubernetesOptions(), environment));
        Assert.False(KubeconfigResolver.Enabled(new KubernetesOptions { Kubernetes = "off" }, environment));
        Assert.Null(KubeconfigResolver.Resolve(new KubernetesOptions { Kubernetes = "off" }, environment));
    }

    [Fact]
    public void Build_KubeconfigList_ResolvesEachFilesRelativePathsAgainstItsOwnFolder()
    {
        // The first file picks the context; the second, in another folder, defines its cluster
        // and user with paths relative to that folder.
        var first = Path.Combine(Directory.CreateDirectory(Path.Combine(_dir, "one")).FullName, "config");
        var otherFolder = Directory.CreateDirectory(Path.Combine(_dir, "two")).FullName;
        var second = Path.Combine(otherFolder, "config");
        using (var key = System.Security.Cryptography.ECDsa.Create())
        {
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=test-ca", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
            using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            System.IO.File.WriteAllText(Path.Combine(otherFolder, "ca.crt"), ca.ExportCertificatePem());
        }

        System.IO.File.WriteAllText(first, "apiVersion: v1\nkind: Config\ncurrent-context: remote\n");
        System.IO.File.WriteAllText(second, """
            apiVersion: v1
            kind: Config
            clusters:
            - name: remote
              cluster:
                server: https://127.0.0.1:6443
                certificate-authority: ca.crt
            contexts:
            - name: remote
              context:
                cluster: remote
                user: remote
            users:
            - name: remote
              user:
                client-certificate: certs/client.crt
                client-key: certs/client.key
            """);

        var config = new KubeconfigSource("KUBECONFIG", [first, second]).Build();

        Assert.Equal("CN=test-ca", Assert.Single(config.SslCaCerts).Subject);
        Assert.Equal(Path.Combine(otherFolder, "certs", "client.crt"), config.ClientCertificateFilePath);
        Assert.Equal(Path.Combine(otherFolder, "certs", "client.key"), config.ClientKeyFilePath);
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
