using System.Text.Json;
using AlsAnalyzer.Server.Kubernetes;
using AlsAnalyzer.Testing;
using AlsAnalyzer.Testing.FakeKube;
using Microsoft.Extensions.Logging;

namespace AlsAnalyzer.Server.Tests.Kubernetes;

/// <summary>
/// External services named by Istio ServiceEntries, watched from the fake API server; and a
/// cluster without Istio (CRD absent) or with RBAC that leaves ServiceEntries out.
/// </summary>
public sealed class ServiceEntryTests : IAsyncLifetime
{
    private const string NodeIp = "192.168.10.1";
    private readonly string _kubeconfig = Path.Combine(Path.GetTempPath(), "als-kubeconfig-" + Guid.NewGuid().ToString("N") + ".yaml");
    private FakeKubeApiServer _kube = null!;
    private Workload _productpage = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        var pod = KubeObjects.DeploymentPod("default", "productpage", "10.244.1.10", "node-1", NodeIp);
        _kube.AddAll(KubeObjects.Node("node-1", NodeIp), pod);
        _productpage = new Workload("default", "productpage", "v1", pod.Metadata.Name, pod.Status.PodIP);
        _kube.WriteKubeconfig(_kubeconfig);
    }

    public async ValueTask DisposeAsync()
    {
        await _kube.DisposeAsync();
        File.Delete(_kubeconfig);
    }

    [Fact]
    public async Task ServiceEntriesAddedAndRemovedByWatch_NameExternalCalls()
    {
        _kube.Add(KubeObjects.ServiceEntry("payments", "stripe", ["api.stripe.com"]));
        await using var server = await StartServerAsync();
        using var client = new AlsClient(server.GrpcAddress);

        // By authority through the passthrough cluster, and by an outbound cluster named after the host.
        await SendAsync(client, Passthrough("api.stripe.com", "54.187.174.169"), OutboundToHost("api.stripe.com", "54.187.174.170"));
        var stripe = await NodeAsync(server, "external:api.stripe.com");
        Assert.Equal("payments", stripe.GetProperty("namespace").GetString());

        // A database VIP: added by watch, named by the entry's host; removed, named by its IP again.
        var database = _kube.Add(KubeObjects.ServiceEntry("data", "orders-db", ["orders-db.corp.internal"], addresses: ["203.0.113.0/24"]));
        await WaitUntilAsync(async () =>
        {
            await SendAsync(client, Passthrough(string.Empty, "203.0.113.7"));
            return await HasNodeAsync(server, "external:orders-db.corp.internal");
        });
        Assert.Equal("data", (await NodeAsync(server, "external:orders-db.corp.internal")).GetProperty("namespace").GetString());

        _kube.Delete(database);
        await WaitUntilAsync(async () =>
        {
            await SendAsync(client, Passthrough(string.Empty, "203.0.113.7"));
            return await HasNodeAsync(server, "external:203.0.113.7");
        });
        Assert.Empty(server.Logs.AtLeast(LogLevel.Warning));
    }

    [Fact]
    public async Task ServiceEntryCrdMissing_OneLogLineNoRetries_TheCacheIsReady()
    {
        _kube.Uninstall(FakeKubeResources.ServiceEntries);
        await using var server = await StartServerAsync();
        await Task.Delay(1000, Ct);

        var unavailable = server.Logs.AtLeast(LogLevel.Information).Where(l => l.Contains("without serviceentries", StringComparison.Ordinal)).ToList();
        Assert.Single(unavailable);
        Assert.Contains("not installed", unavailable[0], StringComparison.Ordinal);
        Assert.Equal(1, _kube.RequestCount(FakeKubeResources.ServiceEntries, FakeKubeVerb.List));
        Assert.Equal(0, _kube.RequestCount(FakeKubeResources.ServiceEntries, FakeKubeVerb.Watch));
        Assert.Empty(server.Logs.AtLeast(LogLevel.Warning));
        Assert.True((await server.GetJsonAsync("/api/v1/topology")).GetProperty("kubernetes").GetProperty("synced").GetBoolean());
    }

    [Fact]
    public async Task ServiceEntriesForbiddenOnly_OneLogLineNamingThePermission_PodsStillResolve()
    {
        _kube.Forbid(FakeKubeResources.ServiceEntries);
        await using var server = await StartServerAsync();
        using var client = new AlsClient(server.GrpcAddress);
        await Task.Delay(1000, Ct);

        var unavailable = Assert.Single(server.Logs.AtLeast(LogLevel.Information), l => l.Contains("without serviceentries", StringComparison.Ordinal));
        Assert.Contains("'list' and 'watch' on serviceentries", unavailable, StringComparison.Ordinal);
        Assert.Equal(1, _kube.RequestCount(FakeKubeResources.ServiceEntries, FakeKubeVerb.List));
        Assert.Empty(server.Logs.AtLeast(LogLevel.Warning));

        // External calls keep their plain names; pods resolve as before.
        await SendAsync(client, Passthrough("api.stripe.com", "54.187.174.169"));
        Assert.Equal(string.Empty, (await NodeAsync(server, "external:api.stripe.com")).GetProperty("namespace").GetString());
        Assert.True(await HasNodeAsync(server, "default/productpage"));
    }

    [Fact]
    public async Task ServiceEntryWatchForbiddenOnly_TheListedEntriesStay_OneLogLine()
    {
        _kube.Add(KubeObjects.ServiceEntry("payments", "stripe", ["api.stripe.com"]));
        _kube.Forbid(FakeKubeResources.ServiceEntries, FakeKubeVerb.Watch);
        await using var server = await StartServerAsync();
        using var client = new AlsClient(server.GrpcAddress);
        await _kube.WaitForRequestsAsync(FakeKubeResources.ServiceEntries, FakeKubeVerb.Watch, 1, TimeSpan.FromSeconds(20), Ct);
        await Task.Delay(1000, Ct);

        var unwatched = Assert.Single(server.Logs.AtLeast(LogLevel.Information), l => l.Contains("serviceentries", StringComparison.Ordinal));
        Assert.Contains("keeps the 1 serviceentries it listed", unwatched, StringComparison.Ordinal);
        Assert.Contains("'watch'", unwatched, StringComparison.Ordinal);
        Assert.Equal(1, _kube.RequestCount(FakeKubeResources.ServiceEntries, FakeKubeVerb.List));
        Assert.Equal(1, _kube.RequestCount(FakeKubeResources.ServiceEntries, FakeKubeVerb.Watch));
        Assert.Empty(server.Logs.AtLeast(LogLevel.Warning));

        // What the list gave still names external calls.
        await SendAsync(client, Passthrough("api.stripe.com", "54.187.174.169"));
        Assert.Equal("payments", (await NodeAsync(server, "external:api.stripe.com")).GetProperty("namespace").GetString());
    }

    private Envoy.Data.Accesslog.V3.HTTPAccessLogEntry Passthrough(string authority, string ip)
    {
        var entry = Calls.Outbound(new HttpCall { Source = _productpage, Destination = new Workload("external", "x", "v1", "x", ip), Encoding = PeerEncoding.None, Mtls = false, Port = 443 });
        entry.CommonProperties.UpstreamCluster = "PassthroughCluster";
        entry.Request.Authority = authority;
        return entry;
    }

    private Envoy.Data.Accesslog.V3.HTTPAccessLogEntry OutboundToHost(string host, string ip)
    {
        var entry = Passthrough(host, ip);
        entry.CommonProperties.UpstreamCluster = $"outbound|443||{host}";
        return entry;
    }

    private async Task SendAsync(AlsClient client, params Envoy.Data.Accesslog.V3.HTTPAccessLogEntry[] entries) =>
        await client.SendAsync([Calls.HttpMessage(entries, Nodes.Sidecar(_productpage))], cancellationToken: Ct);

    private static async Task<bool> HasNodeAsync(AlsTestServer server, string id) =>
        (await server.GetJsonAsync("/api/v1/topology")).GetProperty("nodes").EnumerateArray().Any(n => n.GetProperty("id").GetString() == id);

    private static async Task<JsonElement> NodeAsync(AlsTestServer server, string id)
    {
        var nodes = (await server.GetJsonAsync("/api/v1/topology")).GetProperty("nodes").EnumerateArray().ToList();
        return Assert.Single(nodes, n => n.GetProperty("id").GetString() == id);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 20 s");
            await Task.Delay(100, Ct);
        }
    }

    private async Task<AlsTestServer> StartServerAsync()
    {
        var server = await AlsTestServer.StartAsync(
            "KubeconfigPath=" + _kubeconfig,
            "KubernetesBackoffInitialMilliseconds=50",
            "KubernetesBackoffMaxSeconds=1");
        await WaitUntilAsync(async () => (await server.Http.GetAsync(new Uri("/readyz", UriKind.Relative), Ct)).IsSuccessStatusCode);
        return server;
    }
}
