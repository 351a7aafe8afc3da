using System.Net;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using AlsAnalyzer.Testing.FakeKube;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace AlsAnalyzer.Server.Tests.Kubernetes;

/// <summary>
/// k8s-mesh end to end: the real server, pointed through a kubeconfig at a fake API server
/// that speaks list/watch, receives a bookinfo-like mesh whose proxies log no peer metadata.
/// </summary>
public sealed class KubernetesMeshTests : IAsyncLifetime
{
    private const string Node1Ip = "192.168.10.1";
    private static readonly string[] ServiceNames = ["productpage", "reviews", "details", "ratings"];
    private readonly string _kubeconfig = Path.Combine(Path.GetTempPath(), "als-kubeconfig-" + Guid.NewGuid().ToString("N") + ".yaml");
    private FakeKubeApiServer _kube = null!;
    private V1Pod _productpage = null!;
    private V1Pod _reviews = null!;
    private V1Pod _details = null!;
    private V1Pod _ratings = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        _productpage = KubeObjects.DeploymentPod("default", "productpage", "10.244.1.10", "node-1", Node1Ip);
        _reviews = KubeObjects.DeploymentPod("default", "reviews", "10.244.1.11", "node-1", Node1Ip, version: "v2");
        _details = KubeObjects.DeploymentPod("default", "details", "10.244.1.12", "node-1", Node1Ip);
        _ratings = KubeObjects.DeploymentPod("default", "ratings", "10.244.1.13", "node-1", Node1Ip);
        var services = ServiceNames
            .Select((name, i) => KubeObjects.Service("default", name, "10.96.0." + (10 + i)))
            .ToArray();
        _kube.AddAll(KubeObjects.Node("node-1", Node1Ip), _productpage, _reviews, _details, _ratings);
        _kube.AddAll(services);
        _kube.AddAll(
            KubeObjects.EndpointSlice(services[0], _productpage),
            KubeObjects.EndpointSlice(services[1], _reviews),
            KubeObjects.EndpointSlice(services[2], _details),
            KubeObjects.EndpointSlice(services[3], _ratings));
        _kube.AddAll(
            KubeObjects.HostNetworkPod("kube-system", "node-exporter", "node-1", Node1Ip),
            KubeObjects.SucceededPod("default", "migrate", "10.244.1.99", "node-1", Node1Ip));
        _kube.WriteKubeconfig(_kubeconfig);
    }

    public async ValueTask DisposeAsync()
    {
        await _kube.DisposeAsync();
        File.Delete(_kubeconfig);
    }

    [Fact]
    public async Task BookinfoWithoutPeerMetadata_TopologyIsExactlyRight()
    {
        await using var server = await StartServerAsync();
        using var client = new AlsClient(server.GrpcAddress);
        var start = DateTimeOffset.UtcNow.AddSeconds(-20);
        var productpage = Workload(_productpage);
        var reviews = Workload(_reviews);
        var details = Workload(_details);
        var ratings = Workload(_ratings);
        var sender = new StreamSender();
        Both(sender, new HttpCall { Source = productpage, Destination = reviews, Encoding = PeerEncoding.None, Start = start }, 5);
        Both(sender, new HttpCall { Source = productpage, Destination = details, Encoding = PeerEncoding.None, Start = start }, 3);
        Both(sender, new HttpCall { Source = reviews, Destination = ratings, Encoding = PeerEncoding.None, Start = start, Status = 503 }, 2);

        // A caller on the node's address (a host-network pod) names no workload.
        var fromNode = new HttpCall { Source = productpage with { Ip = Node1Ip }, Destination = details, Encoding = PeerEncoding.None, Mtls = false, Start = start };
        sender.Http(Nodes.Sidecar(details), Calls.Inbound(fromNode));
        await sender.SendAsync(client);

        var topology = await server.GetJsonAsync("/api/v1/topology");
        var edges = topology.GetProperty("edges").EnumerateArray().ToDictionary(
            e => e.GetProperty("source").GetString() + " -> " + e.GetProperty("target").GetString(),
            e => (Requests: e.GetProperty("requests").GetInt64(), Client: e.TryGetProperty("client", out var c) ? c.GetProperty("requests").GetInt64() : 0, Errors: e.GetProperty("errors").GetInt64()));

        Assert.Equal(
            new Dictionary<string, (long, long, long)>
            {
                ["default/productpage -> default/reviews"] = (5, 5, 0),
                ["default/productpage -> default/details"] = (3, 3, 0),
                ["default/reviews -> default/ratings"] = (2, 2, 2),
                ["unknown -> default/details"] = (1, 0, 0),
            },
            edges);
        Assert.True(topology.GetProperty("kubernetes").GetProperty("synced").GetBoolean());
        Assert.False(topology.GetProperty("kubernetes").GetProperty("stale").GetBoolean());
        var detail = await server.GetJsonAsync("/api/v1/services/default/reviews");
        Assert.Contains(detail.GetProperty("instances").EnumerateArray(), i => i.GetProperty("name").GetString() == _reviews.Metadata.Name);
    }

    [Fact]
    public async Task ReporterWithOnlyNodeIdAndCluster_IsNamedByTheCache_ElseByItsPodName()
    {
        await using var server = await StartServerAsync();
        using var client = new AlsClient(server.GrpcAddress);
        var start = DateTimeOffset.UtcNow.AddSeconds(-20);

        // A minimal bootstrap: no metadata, a pod name whose suffix is no ReplicaSet hash.
        static Envoy.Config.Core.V3.Node Thin(string ip) => new()
        {
            Id = $"sidecar~{ip}~productpage-v1-6b74-pp1.default~default.svc.cluster.local",
            Cluster = "productpage-v1-6b74-pp1.default",
        };
        var known = new HttpCall { Source = Workload(_productpage), Destination = Workload(_reviews), Encoding = PeerEncoding.None, Start = start };
        var unknown = known with { Source = Workload(_productpage) with { Ip = "10.244.7.70" } };
        var sender = new StreamSender();
        sender.Http(Thin(_productpage.Status.PodIP), Calls.Outbound(known));
        sender.Http(Thin("10.244.7.70"), Calls.Outbound(unknown));
        await sender.SendAsync(client);

        var edges = (await server.GetJsonAsync("/api/v1/topology")).GetProperty("edges").EnumerateArray()
            .Select(e => e.GetProperty("source").GetString() + " -> " + e.GetProperty("target").GetString())
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.Equal(["default/productpage -> default/reviews", "default/productpage-v1-6b74-pp1 -> default/reviews"], edges);
        var detail = await server.GetJsonAsync("/api/v1/services/default/productpage");
        Assert.Contains(detail.GetProperty("instances").EnumerateArray(), i => i.GetProperty("name").GetString() == _productpage.Metadata.Name);
    }

    [Fact]
    public async Task ThinReporter_NamedByTheCacheFromInstanceIpsOrItsLocalAddress_LabelsWinOverTheCache()
    {
        await using var server = await StartServerAsync();
        using var client = new AlsClient(server.GrpcAddress);
        var start = DateTimeOffset.UtcNow.AddSeconds(-20);
        const string Pod = "productpage-v1-6b74-pp1";
        var ip = _productpage.Status.PodIP;

        // No IP in node.id: only INSTANCE_IPS names the reporter's address.
        var byInstanceIps = new Envoy.Config.Core.V3.Node
        {
            Id = $"sidecar~~{Pod}.default~default.svc.cluster.local",
            Cluster = Pod + ".default",
            Metadata = new Google.Protobuf.WellKnownTypes.Struct { Fields = { ["INSTANCE_IPS"] = Google.Protobuf.WellKnownTypes.Value.ForString(ip) } },
        };

        // Nothing but the address an inbound request arrived on.
        var byLocalAddress = new Envoy.Config.Core.V3.Node { Id = $"sidecar~~{Pod}x.default~default.svc.cluster.local", Cluster = Pod + "x.default" };

        // Labels naming a canonical service win, even at an IP the cache knows as another one.
        var labelled = Nodes.Sidecar(new Workload("default", "frontend", "v1", "frontend-7d9f8c6b5-x2x2x", ip));

        var sender = new StreamSender();
        sender.Http(byInstanceIps, Calls.Outbound(new HttpCall { Source = Workload(_productpage), Destination = Workload(_reviews), Encoding = PeerEncoding.None, Start = start }));
        sender.Http(byLocalAddress, Calls.Inbound(new HttpCall { Source = Workload(_reviews), Destination = Workload(_productpage), Encoding = PeerEncoding.None, Start = start }));
        sender.Http(labelled, Calls.Outbound(new HttpCall { Source = Workload(_productpage), Destination = Workload(_details), Encoding = PeerEncoding.None, Start = start }));
        await sender.SendAsync(client);

        var edges = (await server.GetJsonAsync("/api/v1/topology")).GetProperty("edges").EnumerateArray()
            .Select(e => e.GetProperty("source").GetString() + " -> " + e.GetProperty("target").GetString())
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.Equal(["default/frontend -> default/details", "default/productpage -> default/reviews", "default/reviews -> default/productpage"], edges);
    }

    [Fact]
    public async Task PodsAppearingChangingIpAndDisappearing_AreFollowedMidStream()
    {
        await using var server = await StartServerAsync();
        using var client = new AlsClient(server.GrpcAddress);
        var productpage = Workload(_productpage);
        var newcomer = productpage with { App = "cart", Ip = "10.244.3.30", Pod = "cart" };
        var details = Nodes.Sidecar(Workload(_details));

        // Unknown IP now: the call is kept, attributed to unknown.
        Assert.False(await KnownAsync(server, "10.244.3.30", newcomer, details, client));

        var cart = _kube.Add(KubeObjects.DeploymentPod("shop", "cart", "10.244.3.30", "node-1", Node1Ip));
        await WaitUntilAsync(() => KnownAsync(server, "10.244.3.30", newcomer, details, client));

        _kube.Modify<V1Pod>("shop", cart.Metadata.Name, p =>
        {
            p.Status.PodIP = "10.244.3.31";
            p.Status.PodIPs = [new V1PodIP { Ip = "10.244.3.31" }];
        });
        await WaitUntilAsync(async () => !await KnownAsync(server, "10.244.3.30", newcomer, details, client));
        Assert.True(await KnownAsync(server, "10.244.3.31", newcomer, details, client));

        _kube.Delete<V1Pod>("shop", cart.Metadata.Name);
        await WaitUntilAsync(async () => !await KnownAsync(server, "10.244.3.31", newcomer, details, client));
    }

    [Fact]
    public async Task ExpiredResourceVersion_Relists_AndKeepsFollowing()
    {
        await using var server = await StartServerAsync();
        await _kube.WaitForOpenWatchesAsync(FakeKubeResources.Pods, cancellationToken: Ct);

        // The pods watch's version falls behind (a service changes the global resourceVersion),
        // history is compacted, and a line that does not parse ends the watch: it resumes from
        // its old version, gets 410 Expired, and must list again.
        _kube.Add(KubeObjects.Service("shop", "orders", "10.96.1.1"));
        _kube.CompactHistory();
        _kube.SendGarbage(FakeKubeResources.Pods);
        await WaitUntilAsync(async () => (await server.ScrapeAsync()).Get("als_kube_relists_total{resource=\"pods\",reason=\"gone\"}") >= 1, server);

        var added = _kube.Add(KubeObjects.DeploymentPod("shop", "orders", "10.244.4.40", "node-1", Node1Ip));
        using var client = new AlsClient(server.GrpcAddress);
        var orders = new Workload("shop", "orders", "v1", added.Metadata.Name, "10.244.4.40");
        await WaitUntilAsync(() => KnownAsync(server, "10.244.4.40", orders, Nodes.Sidecar(Workload(_details)), client), server);
        Assert.True(_kube.RequestCount(FakeKubeResources.Pods, FakeKubeVerb.List) >= 2);
    }

    [Fact]
    public async Task ChangesMissedDuringAnOutage_AreCaughtUpByTheRelist()
    {
        await using var server = await StartServerAsync();
        using var client = new AlsClient(server.GrpcAddress);
        var reporter = Nodes.Sidecar(Workload(_reviews));
        var ratings = Workload(_ratings);
        Assert.True(await KnownAsync(server, ratings.Ip, ratings, reporter, client));

        // While the API server is down, ratings is deleted and cart added; the history is
        // compacted, so the watch cannot resume and must list again.
        await _kube.DownAsync(cancellationToken: Ct);
        _kube.Delete<V1Pod>("default", _ratings.Metadata.Name);
        var cart = _kube.Add(KubeObjects.DeploymentPod("default", "cart", "10.244.1.30", "node-1", Node1Ip));
        _kube.CompactHistory();
        await _kube.UpAsync(Ct);

        await WaitUntilAsync(() => KnownAsync(server, "10.244.1.30", Workload(cart), reporter, client), server);
        Assert.False(await KnownAsync(server, ratings.Ip, ratings, reporter, client));
        Assert.True(_kube.RequestCount(FakeKubeResources.Pods, FakeKubeVerb.List) >= 2);
    }

    [Fact]
    public async Task GarbageAndMalformedEvents_AreCountedAndTheCacheKeepsItsState()
    {
        await using var server = await StartServerAsync();
        await _kube.WaitForOpenWatchesAsync(FakeKubeResources.Pods, cancellationToken: Ct);

        // A line that does not parse ends that watch; it resumes from the last resourceVersion.
        _kube.SendGarbage(FakeKubeResources.Pods);
        await WaitUntilAsync(async () => (await server.ScrapeAsync()).Get("als_kube_objects_rejected_total{resource=\"pods\",reason=\"unparsable_event\"}") >= 1, server);

        // Until the watch is back, a malformed event reaches no one: send it until one is counted.
        await WaitUntilAsync(
            async () =>
            {
                _kube.SendMalformedObject(FakeKubeResources.Pods);
                await Task.Delay(100, Ct);
                return (await server.ScrapeAsync()).Sum("als_kube_objects_rejected_total") >= 2;
            },
            server);

        using var client = new AlsClient(server.GrpcAddress);
        Assert.True(await KnownAsync(server, _reviews.Status.PodIP, Workload(_reviews), Nodes.Sidecar(Workload(_details)), client));
        Assert.Contains(server.Logs.AtLeast(LogLevel.Warning), l => l.Contains("skipped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RbacDenied_NotReadyWithTheMissingPermissionLogged_ThenRecovers()
    {
        _kube.Forbid(FakeKubeResources.Pods);
        await using var server = await StartServerAsync(waitReady: false);

        await WaitUntilAsync(() => Task.FromResult(server.Logs.AtLeast(LogLevel.Warning).Any(l => l.Contains("'list' and 'watch' on pods", StringComparison.Ordinal))));
        using (var notReady = await server.Http.GetAsync(new Uri("/readyz", UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        }

        // Ingest goes on meanwhile.
        using var client = new AlsClient(server.GrpcAddress);
        await client.SendAsync([Calls.HttpMessage([Calls.Outbound(new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details })], Nodes.Sidecar(Mesh.Productpage))], cancellationToken: Ct);
        Assert.Equal(1, (await server.ScrapeAsync()).Get("als_entries_received_total"));

        _kube.Unforbid(FakeKubeResources.Pods);
        await WaitUntilAsync(async () => (await server.Http.GetAsync(new Uri("/readyz", UriKind.Relative), Ct)).IsSuccessStatusCode);
    }

    [Fact]
    public async Task ApiServerDown_IngestGoesOn_TheApiSaysStale_ThenRecovers()
    {
        await using var server = await StartServerAsync();
        using var client = new AlsClient(server.GrpcAddress);
        var call = new HttpCall { Source = Workload(_productpage), Destination = Workload(_reviews), Encoding = PeerEncoding.None };

        await _kube.DownAsync(cancellationToken: Ct);
        await WaitUntilAsync(async () => (await server.GetJsonAsync("/api/v1/topology")).GetProperty("kubernetes").GetProperty("stale").GetBoolean(), server);
        await client.SendAsync([Calls.HttpMessage([Calls.Inbound(call)], Nodes.Sidecar(Workload(_reviews)))], cancellationToken: Ct);
        var edge = (await server.GetJsonAsync("/api/v1/topology")).GetProperty("edges")[0];

        // The mapping ages gracefully: the last known index still names the caller.
        Assert.Equal("default/productpage", edge.GetProperty("source").GetString());

        await _kube.UpAsync(Ct);
        await WaitUntilAsync(async () => !(await server.GetJsonAsync("/api/v1/topology")).GetProperty("kubernetes").GetProperty("stale").GetBoolean(), server);
    }

    private static void Both(StreamSender sender, HttpCall call, int times)
    {
        for (var i = 0; i < times; i++)
        {
            sender.Http(Nodes.Sidecar(call.Source!), Calls.Outbound(call));
            sender.Http(Nodes.Sidecar(call.Destination), Calls.Inbound(call));
        }
    }

    private static Workload Workload(V1Pod pod) =>
        new(pod.Metadata.NamespaceProperty, pod.Metadata.Labels["app"], pod.Metadata.Labels["version"], pod.Metadata.Name, pod.Status.PodIP);

    /// <summary>Sends one inbound call from <paramref name="ip"/> to the reporter and says whether the caller was identified.</summary>
    private static async Task<bool> KnownAsync(AlsTestServer server, string ip, Workload caller, Envoy.Config.Core.V3.Node reporter, AlsClient client)
    {
        var before = (await server.ScrapeAsync()).Get("als_entries_analyzed_total");
        var call = new HttpCall { Source = caller with { Ip = ip }, Destination = new Workload("default", "probe", "v1", "probe-0", "10.244.9.9"), Encoding = PeerEncoding.None, Mtls = false };
        await client.SendAsync([Calls.HttpMessage([Calls.Inbound(call)], reporter)], cancellationToken: Ct);
        return (await server.ScrapeAsync()).Get("als_entries_analyzed_total") > before;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, AlsTestServer? server = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                var logs = server is null ? string.Empty : "\nServer log:\n" + string.Join("\n", server.Logs.Entries.Select(e => $"{e.Level} {e.Category}: {e.Message}"))
                    + "\nCache metrics:\n" + string.Join("\n", (await server.ScrapeAsync()).Where(m => m.Key.StartsWith("als_kube", StringComparison.Ordinal) && m.Value != 0).Select(m => $"{m.Key} {m.Value}"));
                Assert.Fail("condition not met within 20 s" + logs);
            }

            await Task.Delay(50, Ct);
        }
    }

    private async Task<AlsTestServer> StartServerAsync(bool waitReady = true)
    {
        var server = await AlsTestServer.StartAsync(
            "KubeconfigPath=" + _kubeconfig,
            "KubernetesBackoffInitialMilliseconds=50",
            "KubernetesBackoffMaxSeconds=1",
            "KubernetesStaleAfterSeconds=1");
        if (waitReady)
        {
            await WaitUntilAsync(async () => (await server.Http.GetAsync(new Uri("/readyz", UriKind.Relative), Ct)).IsSuccessStatusCode);
        }

        return server;
    }
}
