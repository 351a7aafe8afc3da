using AlsAnalyzer.Server.Security;
using AlsAnalyzer.Testing;
using k8s;
using k8s.Models;

namespace AlsAnalyzer.Server.Tests.Security;

/// <summary>deploy/security: the NetworkPolicy opens exactly the two ports, and the Deployment patch sets real settings.</summary>
public sealed class SecurityOverlayTests
{
    private static string Overlay(string file) => File.ReadAllText(Path.Combine(Repository.Root, "deploy", "security", file));

    [Fact]
    public void NetworkPolicy_OpensIngestToTheMeshAndTheApiToMonitoringOnly()
    {
        var policy = KubernetesYaml.Deserialize<V1NetworkPolicy>(Overlay("networkpolicy.yaml"));

        var rules = policy.Spec.Ingress.ToDictionary(r => Assert.Single(r.Ports).Port.Value, r => r.FromProperty);
        Assert.Equal(["11800", "8080"], rules.Keys);
        Assert.All(rules["11800"], peer => Assert.NotNull(peer.NamespaceSelector));
        Assert.Equal("monitoring", Assert.Single(rules["8080"]).NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
        Assert.Equal("alsanalyzer", policy.Spec.PodSelector.MatchLabels["app"]);
    }

    [Fact]
    public void DeploymentPatch_SetsOnlyExistingSecuritySettings()
    {
        var deployment = KubernetesYaml.Deserialize<V1Deployment>(Overlay("deployment-tls.yaml"));
        var settings = typeof(SecurityOptions).GetProperties().Select(p => "Als__" + p.Name).ToHashSet(StringComparer.Ordinal);

        var env = Assert.Single(deployment.Spec.Template.Spec.Containers).Env;

        Assert.NotEmpty(env);
        Assert.All(env, e => Assert.Contains(e.Name, settings));
    }
}
