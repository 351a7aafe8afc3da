using AlsAnalyzer.Core.Kubernetes;

namespace AlsAnalyzer.Core.Tests.Kubernetes;

public sealed class KubernetesIndexBuilderTests
{
    private static readonly ServiceNameTemplate Template = Parse(ServiceNameTemplate.Default);

    [Fact]
    public void Build_RunningPod_MapsItsIpsToCanonicalServiceWorkloadAndInstance()
    {
        var pod = Pod("reviews-v2-7f99cc4496-abcde", "10.0.0.5", labels: new() { ["app"] = "reviews", ["version"] = "v2" }) with { Ips = ["10.0.0.5", "fd00::5"] };

        var index = Build([pod]);

        var peer = index.Lookup("fd00::5");
        Assert.NotNull(peer);
        Assert.Equal(("default", "reviews", "reviews-v2", "reviews-v2-7f99cc4496-abcde", "v2"), (peer.Namespace, peer.Service, peer.Workload, peer.Instance, peer.Version));
        Assert.Same(peer, index.Lookup("10.0.0.5"));
    }

    [Fact]
    public void Build_TwoPodsOfOneWorkload_FromTheirOwnStrings_ShareOneWorkloadObject()
    {
        // As decoded from two pods' JSON: equal names, distinct string objects.
        var first = Pod("reviews-v2-7f99cc4496-aaaaa", "10.0.0.5", labels: new() { ["app"] = string.Concat("rev", "iews"), ["version"] = string.Concat("v", "2") }) with { Workload = string.Concat("reviews", "-v2") };
        var second = Pod("reviews-v2-7f99cc4496-bbbbb", "10.0.0.6", labels: new() { ["app"] = string.Concat("revi", "ews"), ["version"] = string.Concat("v", "2") }) with { Workload = string.Concat("reviews-", "v2") };
        var other = Pod("reviews-v3-7f99cc4496-ccccc", "10.0.0.7", labels: new() { ["app"] = "reviews", ["version"] = "v3" }) with { Workload = "reviews-v3" };

        var index = Build([first, second, other]);

        var a = index.Lookup("10.0.0.5")!.ToWorkloadId();
        var b = index.Lookup("10.0.0.6")!.ToWorkloadId();
        Assert.Same(a, b);
        Assert.Equal(("reviews-v2", "v2"), (a.Workload, a.Version));
        Assert.Equal(("reviews-v3", "v3"), (index.Lookup("10.0.0.7")!.ToWorkloadId().Workload, index.Lookup("10.0.0.7")!.ToWorkloadId().Version));
    }

    [Fact]
    public void Build_ReusedIp_PrefersRunningThenNewestAndIgnoresTerminatedPods()
    {
        var old = Pod("old", "10.0.0.9", labels: new() { ["app"] = "old" }) with { Created = T(1) };
        var done = Pod("done", "10.0.0.9", labels: new() { ["app"] = "done" }) with { Phase = "Succeeded", Created = T(9) };
        var pending = Pod("pending", "10.0.0.9", labels: new() { ["app"] = "pending" }) with { Phase = "Pending", Created = T(5) };
        var newer = Pod("newer", "10.0.0.9", labels: new() { ["app"] = "newer" }) with { Created = T(3) };

        Assert.Equal("newer", Build([old, done, pending, newer]).Lookup("10.0.0.9")!.Service);
        Assert.Equal("pending", Build([pending, done]).Lookup("10.0.0.9")!.Service);
        Assert.Null(Build([done]).Lookup("10.0.0.9"));
    }

    [Fact]
    public void Build_NodeAddressAndHostNetworkPod_AreUnknown()
    {
        var hostNetwork = Pod("node-exporter-x", "192.168.1.10", labels: new() { ["app"] = "node-exporter" }) with { HostNetwork = true };
        var node = new NodeRecord { Name = "node-1", Addresses = ["192.168.1.10"] };

        var index = Build([hostNetwork], nodes: [node]);

        Assert.Null(index.Lookup("192.168.1.10"));
        Assert.True(index.IsNodeAddress("192.168.1.10"));
        Assert.Null(index.Lookup("10.9.9.9"));
    }

    [Fact]
    public void Build_PodInSeveralServices_ChoosesTheOneNamedLikeItsAppElseTheFirstByName()
    {
        var pod = Pod("api-1", "10.0.0.7", labels: new() { ["tier"] = "web" }) with { Workload = "api" };
        var zeta = Service("zeta", new() { ["tier"] = "web" });
        var alpha = Service("alpha", new() { ["tier"] = "web" });
        var template = Parse("${service.metadata.name}");

        Assert.Equal("alpha", Build([pod], [zeta, alpha], template: template).Lookup("10.0.0.7")!.Service);

        var labelled = pod with { Labels = new Dictionary<string, string> { ["tier"] = "web", ["app"] = "zeta" } };
        Assert.Equal("zeta", Build([labelled], [alpha, zeta], template: template).Lookup("10.0.0.7")!.Service);
    }

    [Fact]
    public void Build_NotReadyEndpointSlice_StillLinksPodToItsService()
    {
        var pod = Pod("db-0", "10.0.0.8", labels: []) with { Workload = "db", WorkloadKind = "StatefulSet" };
        var service = Service("database", []);
        var slice = new EndpointSliceRecord
        {
            Name = "database-x1",
            Namespace = "default",
            ServiceName = "database",
            Endpoints = [new SliceEndpoint(["10.0.0.8"], Ready: false, "db-0", "default")],
        };

        var peer = Build([pod], [service], [slice]).Lookup("10.0.0.8");

        Assert.Equal("database", peer!.Service);
        Assert.Equal("db", peer.Workload);
    }

    [Fact]
    public void Build_NoLabelsNoService_FallsBackToTheWorkload()
    {
        var pod = Pod("cron-28391-x", "10.0.0.3", labels: []) with { Workload = "cron-28391", WorkloadKind = "Job" };

        Assert.Equal("cron-28391", Build([pod]).Lookup("10.0.0.3")!.Service);
    }

    [Fact]
    public void Build_VersionedTemplate_NamesServiceWithVersion()
    {
        var pod = Pod("reviews-v3-1", "10.0.0.4", labels: new() { ["app"] = "reviews", ["version"] = "v3" });

        var peer = Build([pod], template: Parse("${pod.metadata.labels.app}-${pod.metadata.labels.version}")).Lookup("10.0.0.4");

        Assert.Equal("reviews-v3", peer!.Service);
    }

    [Fact]
    public void Build_ServiceClusterIp_MapsToTheServiceByName()
    {
        var service = Service("reviews", new() { ["app"] = "reviews" }) with { ClusterIps = ["10.96.0.20"] };

        var peer = Build([], [service]).Lookup("10.96.0.20");

        Assert.Equal(("default", "reviews"), (peer!.Namespace, peer.Service));
    }

    [Fact]
    public void Build_GatewayLabels_MarkThePeerAsGateway()
    {
        var pod = Pod("istio-ingressgateway-1", "10.0.0.2", labels: new() { ["app"] = "istio-ingressgateway", ["istio"] = "ingressgateway" });

        Assert.True(Build([pod]).Lookup("10.0.0.2")!.IsGateway);
    }

    [Fact]
    public void Build_WithPeerCache_ReusesUnchangedPodsAndRecomputesWhenTheirSlicesChange()
    {
        var pod = Pod("db-0", "10.0.0.8", labels: []) with { Workload = "db", WorkloadKind = "StatefulSet" };
        var other = Pod("web-1", "10.0.0.9", labels: new() { ["app"] = "web" });
        var services = new[] { Service("database", []), Service("replicas", []), Service("web", new() { ["app"] = "web" }) };
        EndpointSliceRecord Slice(string service) => new()
        {
            Name = service + "-x1",
            Namespace = "default",
            ServiceName = service,
            Endpoints = [new SliceEndpoint(["10.0.0.8"], Ready: true, "db-0", "default")],
        };
        var first = new PeerCache(null);
        var before = KubernetesIndexBuilder.Build([pod, other], services, [Slice("database")], [], Template, 1, peers: first);

        var same = new PeerCache(first.Next);
        var unchanged = KubernetesIndexBuilder.Build([pod, other], services, [Slice("database")], [], Template, 2, peers: same);
        var moved = KubernetesIndexBuilder.Build([pod, other], services, [Slice("replicas")], [], Template, 3, peers: new PeerCache(same.Next));

        Assert.Same(before.Lookup("10.0.0.8"), unchanged.Lookup("10.0.0.8"));
        Assert.Same(before.Lookup("10.0.0.9"), unchanged.Lookup("10.0.0.9"));
        Assert.Equal("replicas", moved.Lookup("10.0.0.8")!.Service);
        Assert.Same(before.Lookup("10.0.0.9"), moved.Lookup("10.0.0.9"));
    }

    private static KubernetesIndex Build(
        IReadOnlyCollection<PodRecord> pods,
        IReadOnlyCollection<ServiceRecord>? services = null,
        IReadOnlyCollection<EndpointSliceRecord>? slices = null,
        IReadOnlyCollection<NodeRecord>? nodes = null,
        ServiceNameTemplate? template = null) =>
        KubernetesIndexBuilder.Build(pods, services ?? [], slices ?? [], nodes ?? [], template ?? Template, 1);

    private static PodRecord Pod(string name, string ip, Dictionary<string, string> labels) => new()
    {
        Name = name,
        Namespace = "default",
        Ips = [ip],
        Phase = "Running",
        Labels = labels,
        Workload = name.Length > 17 ? name[..^17] : name,
        WorkloadKind = "Deployment",
        Created = T(0),
    };

    private static ServiceRecord Service(string name, Dictionary<string, string> selector) =>
        new() { Name = name, Namespace = "default", Selector = selector };

    private static DateTimeOffset T(int minutes) => new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero).AddMinutes(minutes);

    private static ServiceNameTemplate Parse(string text) =>
        ServiceNameTemplate.TryParse(text, out var t, out var error) ? t : throw new InvalidOperationException(error);
}
