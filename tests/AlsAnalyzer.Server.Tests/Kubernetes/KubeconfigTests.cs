using AlsAnalyzer.Server.Kubernetes;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using AlsAnalyzer.Testing.FakeKube;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace AlsAnalyzer.Server.Tests.Kubernetes;

/// <summary>The real server finds the fake API server through <c>KUBECONFIG</c>, as kubectl would.</summary>
public sealed class KubeconfigTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("als-kubeconfig-").FullName;
    private FakeKubeApiServer _kube = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        _kube.AddAll(KubeObjects.Node("node-1", "192.168.10.1"), KubeObjects.DeploymentPod("default", "reviews", "10.244.1.11", "node-1", "192.168.10.1"));
    }

    public async ValueTask DisposeAsync()
    {
        await _kube.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task KubeconfigWithTwoFiles_TheFirstFilesCurrentContextWins_AndK8sMeshStarts()
    {
        var (first, second) = WriteTwoKubeconfigs();
        var environment = new KubeEnvironment(
            name => name == "KUBECONFIG" ? first + Path.PathSeparator + second : null,
            () => false,
            _dir);

        await using var server = await AlsTestServer.StartAsync(
            services => services.Replace(ServiceDescriptor.Singleton(environment)),
            "HttpAnalyzers=k8s-mesh,mx-mesh");

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!(await server.Http.GetAsync(new Uri("/readyz", UriKind.Relative), Ct)).IsSuccessStatusCode)
        {
            Assert.True(DateTime.UtcNow < deadline, "not ready within 20 s:\n" + string.Join("\n", server.Logs.AtLeast(LogLevel.Information)));
            await Task.Delay(50, Ct);
        }

        var topology = await server.GetJsonAsync("/api/v1/topology");
        Assert.True(topology.GetProperty("kubernetes").GetProperty("synced").GetBoolean());
        Assert.Contains(server.Logs.AtLeast(LogLevel.Information), l => l.Contains("(KUBECONFIG: " + first + Path.PathSeparator + second + ")", StringComparison.Ordinal));
        Assert.Empty(server.Logs.AtLeast(LogLevel.Warning));
    }

    [Fact]
    public async Task ServerProcess_KubeconfigVariableAndSkyWalkingAnalyzerVariable_StartsWithK8sMesh()
    {
        // As a user outside the cluster: KUBECONFIG (two files) and SkyWalking's variable naming
        // k8s-mesh, Kubernetes left at auto; the server must start and name callers from the cache.
        var (first, second) = WriteTwoKubeconfigs();
        var list = first + Path.PathSeparator + second;
        await using var server = await AlsServerProcess.StartAsync(
            _dir,
            new Dictionary<string, string> { ["Kubernetes"] = "auto" },
            new Dictionary<string, string>
            {
                ["KUBECONFIG"] = list,
                ["SW_ENVOY_METRIC_ALS_HTTP_ANALYSIS"] = "k8s-mesh,mx-mesh",
                ["KUBERNETES_SERVICE_HOST"] = string.Empty,
            },
            Ct);

        using var client = new AlsClient(server.GrpcAddress);
        var reviews = new Workload("default", "reviews", "v1", "reviews-0", "10.244.1.11");
        var call = new HttpCall { Source = reviews, Destination = Mesh.Details, Encoding = PeerEncoding.None, Mtls = false };
        await client.SendAsync([Calls.HttpMessage([Calls.Inbound(call)], Nodes.Sidecar(Mesh.Details))], cancellationToken: Ct);

        using var topology = System.Text.Json.JsonDocument.Parse(await server.Http.GetStringAsync(new Uri("/api/v1/topology", UriKind.Relative), Ct));
        var edge = Assert.Single(topology.RootElement.GetProperty("edges").EnumerateArray());
        Assert.Equal("default/reviews", edge.GetProperty("source").GetString());
        Assert.True(topology.RootElement.GetProperty("kubernetes").GetProperty("synced").GetBoolean(), server.Log);
        Assert.Contains("(KUBECONFIG: " + list + ")", server.Log, StringComparison.Ordinal);
    }

    /// <summary>
    /// Two kubeconfig files: the first picks the context and defines a dead cluster; the second
    /// defines the fake cluster and picks the dead one. kubectl merges them: the first
    /// current-context wins, so only the fake cluster works.
    /// </summary>
    private (string First, string Second) WriteTwoKubeconfigs()
    {
        var first = Path.Combine(_dir, "first.yaml");
        File.WriteAllText(first, """
            apiVersion: v1
            kind: Config
            current-context: fake-kube
            clusters:
            - cluster:
                server: http://127.0.0.1:1
              name: dead
            contexts:
            - context:
                cluster: dead
                user: dead-user
              name: dead
            users:
            - name: dead-user
              user:
                token: nobody

            """);
        var second = Path.Combine(_dir, "second.yaml");
        _kube.WriteKubeconfig(second);
        File.WriteAllText(second, File.ReadAllText(second).Replace("current-context: fake-kube", "current-context: dead", StringComparison.Ordinal));
        return (first, second);
    }
}
