using System.Text.Json;
using AlsAnalyzer.Testing.FakeKube;
using k8s;
using k8s.Models;

namespace AlsAnalyzer.Server.Tests.FakeKube;

/// <summary>The object factories give the shapes a cluster gives, and the fake serves them through every typed client call.</summary>
public sealed class KubeObjectsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void DeploymentPod_IsOwnedByTheDeploymentsReplicaSet_WithIstioLabelsAndRunningStatus()
    {
        var replicaSet = KubeObjects.ReplicaSet("default", "reviews", "v2");
        var pod = KubeObjects.DeploymentPod("default", "reviews", "10.4.1.7", "node-1", "10.128.0.1", "v2");

        var owner = Assert.Single(pod.Metadata.OwnerReferences);
        Assert.Equal(("apps/v1", "ReplicaSet", replicaSet.Metadata.Name, replicaSet.Metadata.Uid, true), (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid, owner.Controller));
        var deployment = Assert.Single(replicaSet.Metadata.OwnerReferences);
        Assert.Equal(("Deployment", "reviews"), (deployment.Kind, deployment.Name));
        Assert.StartsWith(replicaSet.Metadata.Name + "-", pod.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal(replicaSet.Metadata.Name.Length + 6, pod.Metadata.Name.Length);
        Assert.Equal(KubeObjects.PodTemplateHash("default", "reviews", "v2"), pod.Metadata.Labels["pod-template-hash"]);
        Assert.Equal(10, pod.Metadata.Labels["pod-template-hash"].Length);
        Assert.Equal("reviews", pod.Metadata.Labels["app"]);
        Assert.Equal("v2", pod.Metadata.Labels["version"]);
        Assert.Equal("reviews", pod.Metadata.Labels["service.istio.io/canonical-name"]);
        Assert.Equal("v2", pod.Metadata.Labels["service.istio.io/canonical-revision"]);
        Assert.Equal("istio", pod.Metadata.Labels["security.istio.io/tlsMode"]);
        Assert.Equal(("Running", "10.4.1.7", "10.128.0.1", "node-1", "reviews"), (pod.Status.Phase, pod.Status.PodIP, pod.Status.HostIP, pod.Spec.NodeName, pod.Spec.ServiceAccountName));
        Assert.Equal("10.4.1.7", Assert.Single(pod.Status.PodIPs).Ip);
        Assert.Equal("True", pod.Status.Conditions.Single(c => c.Type == "Ready").Status);
        Assert.Equal(["reviews", "istio-proxy"], pod.Spec.Containers.Select(c => c.Name));
        Assert.All(pod.Status.ContainerStatuses, s => Assert.True(s.Ready));
        // Deterministic: the same arguments give the same names and uids.
        Assert.Equal(pod.Metadata.Name, KubeObjects.DeploymentPod("default", "reviews", "10.4.1.7", "node-1", "10.128.0.1", "v2").Metadata.Name);
        Assert.NotEqual(pod.Metadata.Name, KubeObjects.DeploymentPod("default", "reviews", "10.4.1.8", "node-1", "10.128.0.1", "v2", replica: 1).Metadata.Name);
    }

    [Fact]
    public void Pod_SerializesWithTheFieldNamesKubectlPrints()
    {
        var json = JsonDocument.Parse(KubernetesJson.Serialize(KubeObjects.DeploymentPod("default", "reviews", "10.4.1.7", "node-1", "10.128.0.1"))).RootElement;

        Assert.Equal("Pod", json.GetProperty("kind").GetString());
        Assert.True(json.GetProperty("metadata").GetProperty("ownerReferences")[0].GetProperty("blockOwnerDeletion").GetBoolean());
        Assert.Equal("10.4.1.7", json.GetProperty("status").GetProperty("podIPs")[0].GetProperty("ip").GetString());
        Assert.Equal("10.128.0.1", json.GetProperty("status").GetProperty("hostIPs")[0].GetProperty("ip").GetString());
        Assert.Equal("Burstable", json.GetProperty("status").GetProperty("qosClass").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", json.GetProperty("metadata").GetProperty("creationTimestamp").GetString());
        Assert.Equal(9080, json.GetProperty("spec").GetProperty("containers")[0].GetProperty("ports")[0].GetProperty("containerPort").GetInt32());
    }

    [Fact]
    public void OtherPods_CarryTheirControllersShapes()
    {
        var sts = KubeObjects.StatefulSetPod("db", "mysql", 2, "10.4.1.20", "node-1", "10.128.0.1");
        var ds = KubeObjects.DaemonSetPod("monitoring", "node-exporter", "10.4.1.21", "node-1", "10.128.0.1");
        var host = KubeObjects.HostNetworkPod("kube-system", "kube-proxy", "node-2", "10.128.0.2");
        var job = KubeObjects.JobPod("batch", "migrate", "10.4.1.22", "node-1", "10.128.0.1");
        var done = KubeObjects.SucceededPod("batch", "report", "10.4.1.23", "node-1", "10.128.0.1");

        Assert.Equal(("mysql-2", "StatefulSet", "mysql-2", "mysql"), (sts.Metadata.Name, sts.Metadata.OwnerReferences[0].Kind, sts.Spec.Hostname, sts.Spec.Subdomain));
        Assert.Equal("2", sts.Metadata.Labels["apps.kubernetes.io/pod-index"]);
        Assert.Equal("DaemonSet", ds.Metadata.OwnerReferences[0].Kind);
        Assert.Equal("1", ds.Metadata.Labels["pod-template-generation"]);
        Assert.True(host.Spec.HostNetwork);
        Assert.Equal(("10.128.0.2", "10.128.0.2"), (host.Status.PodIP, host.Status.HostIP));
        Assert.Equal(("Job", "batch/v1", "migrate", "Never"), (job.Metadata.OwnerReferences[0].Kind, job.Metadata.OwnerReferences[0].ApiVersion, job.Metadata.Labels["job-name"], job.Spec.RestartPolicy));
        Assert.Equal("Succeeded", done.Status.Phase);
        Assert.Equal("10.4.1.23", done.Status.PodIP);
        Assert.Equal("False", done.Status.Conditions.Single(c => c.Type == "Ready").Status);
        Assert.All(done.Status.ContainerStatuses, s => Assert.Equal(0, s.State.Terminated.ExitCode));
    }

    [Fact]
    public void EndpointSlice_IsTheServicesWithAnEndpointPerPod()
    {
        var service = KubeObjects.Service("default", "reviews", "10.96.0.20", KubeObjects.ServicePort("http", 9080), KubeObjects.ServicePort("grpc", 80, 8080, appProtocol: "grpc"));
        var ready = KubeObjects.DeploymentPod("default", "reviews", "10.4.1.7", "node-1", "10.128.0.1");
        var notReady = KubeObjects.DeploymentPod("default", "reviews", "10.4.2.7", "node-2", "10.128.0.2", replica: 1);

        var slice = KubeObjects.EndpointSlice(service, [KubeObjects.Endpoint(ready), KubeObjects.Endpoint(notReady, ready: false)]);

        Assert.Equal("reviews", slice.Metadata.Labels["kubernetes.io/service-name"]);
        Assert.Equal("endpointslice-controller.k8s.io", slice.Metadata.Labels["endpointslice.kubernetes.io/managed-by"]);
        Assert.Equal(("Service", service.Metadata.Uid), (slice.Metadata.OwnerReferences[0].Kind, slice.Metadata.OwnerReferences[0].Uid));
        Assert.Equal("IPv4", slice.AddressType);
        Assert.Equal([true, false], slice.Endpoints.Select(e => e.Conditions.Ready == true));
        var endpoint = slice.Endpoints[0];
        Assert.Equal(["10.4.1.7"], endpoint.Addresses);
        Assert.Equal(("Pod", ready.Metadata.Name, "default", "node-1"), (endpoint.TargetRef.Kind, endpoint.TargetRef.Name, endpoint.TargetRef.NamespaceProperty, endpoint.NodeName));
        Assert.Equal([("http", 9080), ("grpc", 8080)], slice.Ports.Select(p => (p.Name, p.Port ?? 0)));
        Assert.Equal(["10.96.0.20"], service.Spec.ClusterIPs);
        Assert.Equal("reviews", service.Spec.Selector["app"]);
    }

    [Fact]
    public async Task EveryResource_IsServedAsItsListKindThroughTheTypedClient()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        var pod = KubeObjects.DeploymentPod("default", "reviews", "10.4.1.7", "node-1", "10.128.0.1");
        var service = KubeObjects.Service("default", "reviews", "10.96.0.20");
        kube.AddAll(
            KubeObjects.Node("node-1", "10.128.0.1"),
            KubeObjects.ReplicaSet("default", "reviews"),
            pod,
            service,
            KubeObjects.EndpointSlice(service, pod));

        var pods = await client.CoreV1.ListNamespacedPodAsync("default", cancellationToken: Ct).WaitAsync(Wait, Ct);
        var services = await client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: Ct).WaitAsync(Wait, Ct);
        var nodes = await client.CoreV1.ListNodeAsync(cancellationToken: Ct).WaitAsync(Wait, Ct);
        var slices = await client.DiscoveryV1.ListNamespacedEndpointSliceAsync("default", cancellationToken: Ct).WaitAsync(Wait, Ct);
        var replicaSets = await client.AppsV1.ListReplicaSetForAllNamespacesAsync(cancellationToken: Ct).WaitAsync(Wait, Ct);

        Assert.Equal(("PodList", "v1"), (pods.Kind, pods.ApiVersion));
        Assert.Equal(("ServiceList", "v1"), (services.Kind, services.ApiVersion));
        Assert.Equal(("NodeList", "v1"), (nodes.Kind, nodes.ApiVersion));
        Assert.Equal(("EndpointSliceList", "discovery.k8s.io/v1"), (slices.Kind, slices.ApiVersion));
        Assert.Equal(("ReplicaSetList", "apps/v1"), (replicaSets.Kind, replicaSets.ApiVersion));
        Assert.Equal(pod.Metadata.Name, Assert.Single(pods.Items).Metadata.Name);
        Assert.Equal("10.96.0.20", Assert.Single(services.Items).Spec.ClusterIP);
        Assert.Null(Assert.Single(nodes.Items).Metadata.NamespaceProperty);
        var endpoint = Assert.Single(Assert.Single(slices.Items).Endpoints);
        Assert.Equal((true, "Pod", pod.Metadata.Name), (endpoint.Conditions.Ready, endpoint.TargetRef.Kind, endpoint.TargetRef.Name));
        Assert.Equal(pod.Metadata.OwnerReferences[0].Name, Assert.Single(replicaSets.Items).Metadata.Name);
        // All five writes share one counter; each list reports the store's latest.
        Assert.All([pods.Metadata, services.Metadata, nodes.Metadata, slices.Metadata, replicaSets.Metadata], m => Assert.Equal(kube.ResourceVersion, m.ResourceVersion));
        Assert.Equal(5, new[] { pods.Items[0].Metadata, services.Items[0].Metadata, nodes.Items[0].Metadata, slices.Items[0].Metadata, replicaSets.Items[0].Metadata }.Select(m => m.ResourceVersion).Distinct().Count());
        Assert.Empty(kube.ServerErrors);
    }
}
