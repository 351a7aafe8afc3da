using System.Globalization;
using AlsAnalyzer.Benchmarks.Corpus;
using AlsAnalyzer.Testing.FakeKube;
using k8s;
using k8s.Models;

namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>
/// A Kubernetes API server (the repository's list/watch fake; no real one runs here) holding the
/// corpus mesh: every pod Running with its corpus name, IP, labels and service account, every
/// service with its ClusterIP and <c>app</c> selector, and the worker nodes. The server under
/// test watches it through a kubeconfig, as it would a cluster, so <c>k8s-mesh</c> maps the
/// entries' IPs end to end.
/// </summary>
internal sealed class MeshApiServer : IAsyncDisposable
{
    private const int Workers = 16;

    private readonly FakeKubeApiServer _server;

    private MeshApiServer(FakeKubeApiServer server, string kubeconfig, int pods)
    {
        _server = server;
        KubeconfigPath = kubeconfig;
        Pods = pods;
    }

    public string KubeconfigPath { get; }

    public int Pods { get; }

    /// <summary>The server arguments that point it at this API server.</summary>
    public IReadOnlyList<string> ServerArgs => ["--Als:Kubernetes=on", "--Als:KubeconfigPath=" + KubeconfigPath];

    public static async Task<MeshApiServer> StartAsync(Mesh mesh, CancellationToken cancellationToken = default)
    {
        var server = await FakeKubeApiServer.StartAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"als-e2e-{Environment.ProcessId}.kubeconfig");
        try
        {
            var pods = Fill(server, mesh);
            server.WriteKubeconfig(kubeconfig);
            return new MeshApiServer(server, kubeconfig, pods);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            File.Delete(kubeconfig);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            File.Delete(KubeconfigPath);
        }
    }

    private static int Fill(FakeKubeApiServer server, Mesh mesh)
    {
        var objects = new List<IKubernetesObject<V1ObjectMeta>>();
        for (var w = 0; w < Workers; w++)
        {
            objects.Add(KubeObjects.Node(Worker(w), NodeIp(w)));
        }

        var pods = 0;
        foreach (var service in mesh.Services.Append(mesh.Gateway))
        {
            objects.Add(KubeObjects.Service(service.Namespace, service.Name, service.ClusterIp, KubeObjects.ServicePort("http", 9080)));
            foreach (var pod in service.Pods)
            {
                // A Deployment's pod, renamed and relabelled as the corpus has it; its ReplicaSet
                // is named after the corpus's pod-template-hash, so the owner chain still leads
                // to the Deployment.
                var w = service.Index & (Workers - 1);
                var replicaSet = $"{pod.Workload}-{pod.PodTemplateHash}";
                var kubePod = KubeObjects.DeploymentPod(pod.Namespace, pod.Workload, pod.Ip, Worker(w), NodeIp(w), pod.Version, service.ServiceAccount);
                kubePod.Metadata.Name = pod.Name;
                kubePod.Metadata.GenerateName = replicaSet + "-";
                kubePod.Metadata.Uid = Guid.NewGuid().ToString();
                kubePod.Metadata.Labels = pod.Labels().ToDictionary(p => p.Key, p => p.Value);
                kubePod.Metadata.OwnerReferences[0].Name = replicaSet;
                objects.Add(kubePod);
                pods++;
            }
        }

        server.AddAll([.. objects]);
        return pods;
    }

    private static string Worker(int w) => "worker-" + w.ToString(CultureInfo.InvariantCulture);

    private static string NodeIp(int w) => "192.168.0." + (10 + w).ToString(CultureInfo.InvariantCulture);
}
