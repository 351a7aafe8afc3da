using Microsoft.Extensions.Options;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Kubernetes;
using AlsAnalyzer.Server.Hosting;
using AlsAnalyzer.Server.Kubernetes;
using AlsAnalyzer.Testing.FakeKube;
using k8s.Models;
using Microsoft.Extensions.Configuration;

namespace AlsAnalyzer.Server.Tests.Kubernetes;

/// <summary>API object mapping, analyzer-chain settings and bounded connection state.</summary>
public sealed class KubernetesUnitTests
{
    [Fact]
    public void PodMapper_ResolvesTheWorkloadAPersonWouldName()
    {
        var deployment = KubeMapper.Pod(KubeObjects.DeploymentPod("default", "reviews", "10.0.0.1", "n", "192.168.0.1", version: "v2"))!;
        var stateful = KubeMapper.Pod(KubeObjects.StatefulSetPod("data", "mysql", 0, "10.0.0.2", "n", "192.168.0.1"))!;
        var daemon = KubeMapper.Pod(KubeObjects.DaemonSetPod("kube-system", "fluentd", "10.0.0.3", "n", "192.168.0.1"))!;
        var job = KubeMapper.Pod(KubeObjects.JobPod("batch", "backup-28391", "10.0.0.4", "n", "192.168.0.1"))!;

        Assert.Equal(("Deployment", "reviews"), (deployment.WorkloadKind, deployment.Workload));
        Assert.Equal(("StatefulSet", "mysql"), (stateful.WorkloadKind, stateful.Workload));
        Assert.Equal(("DaemonSet", "fluentd"), (daemon.WorkloadKind, daemon.Workload));
        Assert.Equal(("Job", "backup-28391"), (job.WorkloadKind, job.Workload));
        Assert.Equal(["10.0.0.1"], deployment.Ips);
        Assert.Equal("Running", deployment.Phase);
    }

    [Fact]
    public void PodMapper_HostNetworkAndTerminatedPods_AreMarked()
    {
        var host = KubeMapper.Pod(KubeObjects.HostNetworkPod("kube-system", "node-exporter", "n", "192.168.0.1"))!;
        var done = KubeMapper.Pod(KubeObjects.SucceededPod("batch", "migrate", "10.0.0.9", "n", "192.168.0.1"))!;

        Assert.True(host.HostNetwork);
        Assert.True(done.IsTerminated);
    }

    [Fact]
    public void Mappers_ObjectsWithoutIdentity_AreRejected()
    {
        Assert.Null(KubeMapper.Pod(new V1Pod { Metadata = new V1ObjectMeta { Name = "x" } }));
        Assert.Null(KubeMapper.Pod(new V1Pod()));
        Assert.Null(KubeMapper.Service(new V1Service { Metadata = new V1ObjectMeta { NamespaceProperty = "ns" } }));
        Assert.Null(KubeMapper.EndpointSlice(new V1EndpointSlice { Metadata = new V1ObjectMeta { Name = "s", NamespaceProperty = "ns" } }));
        Assert.Null(KubeMapper.Node(new V1Node()));
    }

    [Fact]
    public void ServiceMapper_HeadlessService_HasNoClusterIp()
    {
        var service = KubeMapper.Service(KubeObjects.Service("default", "db", "None"))!;

        Assert.Empty(service.ClusterIps);
        Assert.Equal("db", service.Selector["app"]);
    }

    [Fact]
    public void SliceMapper_KeepsNotReadyEndpointsAndTheirPods()
    {
        var pod = KubeObjects.DeploymentPod("default", "reviews", "10.0.0.1", "n", "192.168.0.1");
        var service = KubeObjects.Service("default", "reviews", "10.96.0.1");

        var slice = KubeMapper.EndpointSlice(KubeObjects.EndpointSlice(service, [KubeObjects.Endpoint(pod, ready: false)]))!;

        var endpoint = Assert.Single(slice.Endpoints);
        Assert.Equal("reviews", slice.ServiceName);
        Assert.False(endpoint.Ready);
        Assert.Equal(pod.Metadata.Name, endpoint.PodName);
    }

    [Fact]
    public void ServiceEntryMapper_HostsAddressesAndStaticEndpointIps_NameTheEntry()
    {
        var entry = KubeObjects.ServiceEntry(
            "data",
            "orders-db",
            ["orders-db.corp.internal", string.Empty],
            addresses: ["240.0.0.10", "203.0.113.0/24"],
            endpoints: ["198.51.100.7", "unix:///var/run/db.sock", "db-1.corp.internal"]);

        var record = KubeMapper.ServiceEntry(entry)!;
        var index = new ServiceEntryIndex([record]);

        Assert.Equal(["orders-db.corp.internal"], record.Hosts);
        Assert.DoesNotContain(record.Addresses, a => a.StartsWith("unix:", StringComparison.Ordinal));
        var named = NodeRef.External("data", "orders-db.corp.internal");
        Assert.Equal(named, index.Find("orders-db.corp.internal", default));
        Assert.Equal(named, index.Find(string.Empty, IpText.FromString("240.0.0.10")));
        Assert.Equal(named, index.Find(string.Empty, IpText.FromString("203.0.113.9")));
        Assert.Equal(named, index.Find(string.Empty, IpText.FromString("198.51.100.7")));
        Assert.Null(index.Find("db-1.corp.internal", IpText.FromString("198.51.100.8")));
        Assert.Null(KubeMapper.ServiceEntry(KubeObjects.ServiceEntry(string.Empty, "nameless-namespace", ["x.example"])));
    }

    [Theory]
    [InlineData(null, null, null, null)]
    [InlineData("k8s-mesh,mx-mesh", null, null, "k8s-mesh,mx-mesh")]
    [InlineData("mx-mesh", "k8s-mesh", null, "k8s-mesh")]
    [InlineData(null, null, "k8s-mesh", null)]
    public void SkyWalkingAliases_ApplyOnlyWhereOurSettingIsAbsent(string? swHttp, string? ours, string? swTcp, string? expectedHttp)
    {
        var configuration = new ConfigurationManager();
        if (ours is not null)
        {
            configuration["Als:HttpAnalyzers"] = ours;
        }

        var environment = new Dictionary<string, string?>
        {
            ["SW_ENVOY_METRIC_ALS_HTTP_ANALYSIS"] = swHttp,
            ["SW_ENVOY_METRIC_ALS_TCP_ANALYSIS"] = swTcp,
        };

        AlsSettings.AddSkyWalkingAliases(configuration, name => environment.GetValueOrDefault(name));

        Assert.Equal(expectedHttp, configuration["Als:HttpAnalyzers"]);
        Assert.Equal(swTcp, configuration["Als:TcpAnalyzers"]);
    }

    [Fact]
    public void AnalyzerChain_DefaultsByKubernetesMode()
    {
        Assert.Equal(["k8s-mesh", "mx-mesh"], AnalysisOptions.EffectiveNames(string.Empty, kubernetes: true));
        Assert.Equal(["mx-mesh"], AnalysisOptions.EffectiveNames(string.Empty, kubernetes: false));
        Assert.Equal(["mx-mesh", "k8s-mesh"], AnalysisOptions.EffectiveNames(" mx-mesh , k8s-mesh ", kubernetes: true));
    }

    [Fact]
    public void Validation_K8sMeshWithoutKubernetes_IsRejectedWithTheReason()
    {
        var chains = new AnalyzerChains(Options.Create(new KubernetesOptions { Kubernetes = "off" }), KubeEnvironment.System);

        var result = chains.Validate(null, new AnalysisOptions { HttpAnalyzers = "k8s-mesh" });

        Assert.Contains(result.Failures!, f => f.Contains("k8s-mesh, but the Kubernetes cache is off", StringComparison.Ordinal) && f.Contains("KUBECONFIG", StringComparison.Ordinal));
    }

    [Fact]
    public void Validation_BadTemplate_PointsAtThePosition()
    {
        var errors = new SettingErrors();

        new KubernetesOptions { ServiceNameTemplate = "${pod.metadata.lables.app}" }.Validate(errors);

        Assert.Contains(errors.All, f => f.Contains("Als:ServiceNameTemplate is invalid", StringComparison.Ordinal) && f.Contains("position", StringComparison.Ordinal));
    }

    [Fact]
    public void ConnectionTracker_PastCapacity_ForgetsTheOldestAndCountsIt()
    {
        var tracker = new TcpConnectionTracker(capacity: 3);
        for (ulong key = 1; key <= 5; key++)
        {
            tracker.Observe(key, closed: false, sent: 100, received: 10);
        }

        // Connection 1 was forgotten: its next report counts as new, with its full bytes.
        var (sent, _, opened, _) = tracker.Observe(1, closed: false, sent: 150, received: 10);
        var (sentKnown, _, openedKnown, _) = tracker.Observe(5, closed: false, sent: 150, received: 10);

        Assert.Equal(3, tracker.Open);
        Assert.True(tracker.Evicted >= 2);
        Assert.Equal((150UL, true), (sent, opened));
        Assert.Equal((50UL, false), (sentKnown, openedKnown));
    }
}
