using System.Globalization;
using AlsAnalyzer.Server.Kubernetes;
using AlsAnalyzer.Testing;
using AlsAnalyzer.Testing.FakeKube;
using k8s;
using k8s.Models;

namespace AlsAnalyzer.Server.Tests.Kubernetes;

/// <summary>The Kubernetes manifests in deploy/ parse, and grant exactly what the server lists and watches.</summary>
public sealed class DeployManifestTests
{
    /// <summary>The API kinds the manifests may hold, with their client model types.</summary>
    internal static readonly Dictionary<string, Type> Kinds = new()
    {
        ["v1/Namespace"] = typeof(V1Namespace),
        ["v1/ServiceAccount"] = typeof(V1ServiceAccount),
        ["v1/Service"] = typeof(V1Service),
        ["v1/PersistentVolumeClaim"] = typeof(V1PersistentVolumeClaim),
        ["apps/v1/Deployment"] = typeof(V1Deployment),
        ["rbac.authorization.k8s.io/v1/ClusterRole"] = typeof(V1ClusterRole),
        ["rbac.authorization.k8s.io/v1/ClusterRoleBinding"] = typeof(V1ClusterRoleBinding),
        ["policy/v1/PodDisruptionBudget"] = typeof(V1PodDisruptionBudget),
    };

    [Fact]
    public void ClusterRole_GrantsListAndWatchOnExactlyTheWatchedResources()
    {
        var objects = Load();

        var role = Assert.Single(objects.OfType<V1ClusterRole>());
        var granted = role.Rules
            .SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.Select(res => (Group: g, Resource: res, Verbs: string.Join(',', r.Verbs.Order(StringComparer.Ordinal))))))
            .ToList();
        var watched = KubernetesCache.WatchedResources.Select(w => (w.Group, w.Resource)).Order().ToList();

        Assert.Equal(watched, granted.Select(g => (g.Group, g.Resource)).Order().ToList());
        Assert.All(granted, g => Assert.Equal("list,watch", g.Verbs));
    }

    [Fact]
    public async Task ClusterRole_GrantsExactlyWhatTheRunningServerListsAndWatches()
    {
        // What the server really asks the API server for, once every watch is open: each
        // request's API group (from its path), resource, verb and scope.
        var role = Assert.Single(Load().OfType<V1ClusterRole>());
        var granted = role.Rules
            .SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.SelectMany(res => r.Verbs.Select(v => (Group: g, Resource: res, Verb: v)))))
            .Order()
            .ToList();
        var kubeconfig = Path.Combine(Path.GetTempPath(), "als-kubeconfig-" + Guid.NewGuid().ToString("N") + ".yaml");
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        try
        {
            kube.WriteKubeconfig(kubeconfig);
            await using var server = await AlsTestServer.StartAsync("KubeconfigPath=" + kubeconfig);
            foreach (var resource in granted.Select(g => g.Resource).Distinct())
            {
                await kube.WaitForOpenWatchesAsync(resource, timeout: TimeSpan.FromSeconds(30), cancellationToken: Ct);
            }

            var requests = kube.Requests;
            Assert.All(requests, r => Assert.Null(r.Namespace));
            var asked = requests
                .Select(r => (Group: ApiGroup(r.Path), Resource: r.Resource ?? r.Path, Verb: r.Verb switch { FakeKubeVerb.List => "list", FakeKubeVerb.Watch => "watch", FakeKubeVerb.Get => "get", _ => r.Method }))
                .Distinct()
                .Order()
                .ToList();
            Assert.Equal(granted, asked);
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }

    [Fact]
    public void Binding_TiesTheRoleToTheDeploymentsServiceAccount()
    {
        var objects = Load();

        var binding = Assert.Single(objects.OfType<V1ClusterRoleBinding>());
        var deployment = Assert.Single(objects.OfType<V1Deployment>());
        var account = Assert.Single(objects.OfType<V1ServiceAccount>());
        Assert.Equal(Assert.Single(objects.OfType<V1ClusterRole>()).Metadata.Name, binding.RoleRef.Name);
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal((account.Metadata.Name, account.Metadata.NamespaceProperty), (subject.Name, subject.NamespaceProperty));
        Assert.Equal(account.Metadata.Name, deployment.Spec.Template.Spec.ServiceAccountName);
    }

    [Fact]
    public void Service_ExposesIngestAndApiPorts_WithTheGrpcProtocolPrefix()
    {
        var service = Assert.Single(Load().OfType<V1Service>());

        var ports = service.Spec.Ports.ToDictionary(p => p.Port, p => p.Name);
        Assert.Equal("grpc-als", ports[11800]);
        Assert.Equal("http", ports[8080]);
    }

    [Fact]
    public void Scaled_TwoReplicasOnDifferentNodes_DisruptionBudget_ReadinessOnTheStore()
    {
        var objects = Load("scaled", "alsanalyzer-scaled.yaml");
        var deployment = Assert.Single(objects.OfType<V1Deployment>());
        var labels = deployment.Spec.Template.Metadata.Labels;
        Assert.True(deployment.Spec.Replicas >= 2);
        Assert.Equal(0, int.Parse(deployment.Spec.Strategy.RollingUpdate.MaxUnavailable.Value, CultureInfo.InvariantCulture));

        var antiAffinity = Assert.Single(deployment.Spec.Template.Spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution);
        Assert.Equal("kubernetes.io/hostname", antiAffinity.TopologyKey);
        Assert.Equal(labels, antiAffinity.LabelSelector.MatchLabels);

        var budget = Assert.Single(objects.OfType<V1PodDisruptionBudget>());
        Assert.Equal(labels, budget.Spec.Selector.MatchLabels);
        Assert.InRange(int.Parse(budget.Spec.MinAvailable.Value, CultureInfo.InvariantCulture), 1, deployment.Spec.Replicas!.Value - 1);

        var container = Assert.Single(deployment.Spec.Template.Spec.Containers);
        Assert.Equal("/readyz", container.ReadinessProbe.HttpGet.Path);
        Assert.Equal("metadata.name", container.Env.Single(e => e.Name == "POD_NAME").ValueFrom.FieldRef.FieldPath);
        Assert.InRange(deployment.Spec.Template.Spec.TerminationGracePeriodSeconds!.Value, 20, 60);

        // No volume holds history: the replicas are interchangeable.
        Assert.Empty(objects.OfType<V1PersistentVolumeClaim>());
        Assert.DoesNotContain(deployment.Spec.Template.Spec.Volumes, v => v.PersistentVolumeClaim is not null);
    }

    [Fact]
    public void Scaled_WritesToAndQueriesTheVictoriaMetricsItShipsWith()
    {
        var env = Assert.Single(Assert.Single(Load("scaled", "alsanalyzer-scaled.yaml").OfType<V1Deployment>()).Spec.Template.Spec.Containers).Env
            .Where(e => e.Value is not null)
            .ToDictionary(e => e.Name, e => e.Value);
        var store = Load("scaled", "victoria-metrics.yaml");
        var service = Assert.Single(store.OfType<V1Service>());
        var deployment = Assert.Single(store.OfType<V1Deployment>());
        var claim = Assert.Single(store.OfType<V1PersistentVolumeClaim>());
        Assert.Equal(deployment.Spec.Template.Metadata.Labels, service.Spec.Selector);
        Assert.Equal(claim.Metadata.Name, Assert.Single(deployment.Spec.Template.Spec.Volumes).PersistentVolumeClaim.ClaimName);
        var url = $"http://{service.Metadata.Name}.{service.Metadata.NamespaceProperty}.svc:{Assert.Single(service.Spec.Ports).Port}";

        Assert.Equal("prometheus", env["Als__QueryStore"]);
        Assert.Equal(url, env["Als__PrometheusUrl"]);
        Assert.Equal(url + "/api/v1/write", env["Als__RemoteWriteUrl"]);

        // Every setting named exists (a typo would be silently ignored by the binder).
        using var app = AlsAnalyzer.Server.Hosting.AlsHost.Build([.. env.Where(e => e.Key.StartsWith("Als__", StringComparison.Ordinal)).Select(e => $"--Als:{e.Key[5..]}={e.Value}")]);
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        Assert.All(env.Keys.Where(k => k.StartsWith("Als__", StringComparison.Ordinal)), k => Assert.Contains($"`{k}`", readme, StringComparison.Ordinal));
    }

    [Fact]
    public void Scaled_IngestKeepsNotReadyReplicas_ApiDoesNot()
    {
        var services = Load("scaled", "alsanalyzer-scaled.yaml").OfType<V1Service>().ToDictionary(s => s.Spec.Ports.Single().Port);

        Assert.Equal("grpc-als", services[11800].Spec.Ports.Single().Name);
        Assert.True(services[11800].Spec.PublishNotReadyAddresses);
        Assert.NotEqual(true, services[8080].Spec.PublishNotReadyAddresses);
    }

    [Fact]
    public void Scaled_GrantsWhatTheSingleReplicaManifestGrants()
    {
        var single = Load().OfType<V1ClusterRole>().Single();
        var scaled = Load("scaled", "alsanalyzer-scaled.yaml").OfType<V1ClusterRole>().Single();

        Assert.Equal(KubernetesYaml.Serialize(single), KubernetesYaml.Serialize(scaled));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The API group of a request path: <c>/api/v1/...</c> is the core group, <c>/apis/GROUP/VERSION/...</c> a named one.</summary>
    private static string ApiGroup(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments is ["apis", var group, ..] ? group : string.Empty;
    }

    private static List<object> Load(params string[] path)
    {
        var file = Path.Combine([Repository.Root, "deploy", "kubernetes", .. path.Length == 0 ? ["alsanalyzer.yaml"] : path]);
        return KubernetesYaml.LoadAllFromString(File.ReadAllText(file), Kinds);
    }
}
