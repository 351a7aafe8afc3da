using AlsAnalyzer.Server.Kubernetes;
using AlsAnalyzer.Testing;
using k8s;
using k8s.Models;

namespace AlsAnalyzer.Server.Tests.Kubernetes;

/// <summary>The Kubernetes manifests in deploy/ parse, and grant exactly what the code watches.</summary>
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

    private static List<object> Load()
    {
        var path = Path.Combine(Repository.Root, "deploy", "kubernetes", "alsanalyzer.yaml");
        return KubernetesYaml.LoadAllFromString(File.ReadAllText(path), Kinds);
    }
}
