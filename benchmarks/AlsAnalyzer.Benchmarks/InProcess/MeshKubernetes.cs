using AlsAnalyzer.Benchmarks.Corpus;
using AlsAnalyzer.Core.Kubernetes;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>The Kubernetes index the k8s-mesh analyzer would hold for the synthetic mesh (every pod Running).</summary>
internal static class MeshKubernetes
{
    public static KubernetesIndex BuildIndex(Mesh mesh)
    {
        var pods = new List<PodRecord>();
        var services = new List<ServiceRecord>();
        foreach (var service in mesh.Services.Append(mesh.Gateway))
        {
            services.Add(new ServiceRecord
            {
                Name = service.Name,
                Namespace = service.Namespace,
                Selector = new Dictionary<string, string> { ["app"] = service.Name },
                ClusterIps = [service.ClusterIp],
            });
            foreach (var pod in service.Pods)
            {
                pods.Add(new PodRecord
                {
                    Name = pod.Name,
                    Namespace = pod.Namespace,
                    Ips = [pod.Ip],
                    Phase = "Running",
                    NodeName = "worker-" + (service.Index & 15),
                    ServiceAccount = service.ServiceAccount,
                    Labels = pod.Labels().ToDictionary(p => p.Key, p => p.Value),
                    WorkloadKind = "Deployment",
                    Workload = pod.Workload,
                    Created = CorpusOptions.DefaultStart.AddDays(-1),
                });
            }
        }

        if (!ServiceNameTemplate.TryParse(ServiceNameTemplate.Default, out var template, out var error))
        {
            throw new InvalidOperationException("default service name template: " + error);
        }

        return KubernetesIndexBuilder.Build(pods, services, [], [], template, generation: 1);
    }

    /// <summary>IP -> <c>namespace/service</c>, for the naive baseline on entries without peer metadata.</summary>
    public static Dictionary<string, string> ServicesByIp(Mesh mesh)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in mesh.Services.Append(mesh.Gateway))
        {
            map[service.ClusterIp] = service.Namespace + "/" + service.Name;
            foreach (var pod in service.Pods)
            {
                map[pod.Ip] = service.Namespace + "/" + service.Name;
            }
        }

        return map;
    }
}
