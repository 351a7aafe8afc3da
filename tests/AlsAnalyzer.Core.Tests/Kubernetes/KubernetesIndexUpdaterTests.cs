using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Kubernetes;

namespace AlsAnalyzer.Core.Tests.Kubernetes;

public sealed class KubernetesIndexUpdaterTests
{
    private static readonly ServiceNameTemplate Template = Parse("${service.metadata.name, pod.metadata.labels.app, pod.workload}");

    [Fact]
    public void Pod_AddedModifiedDeleted_ChangesOnlyItsIps()
    {
        var updater = Updated(u =>
        {
            u.SetService(Service("web", new() { ["app"] = "web" }));
            u.SetPod(Pod("web-1", "10.0.0.1", new() { ["app"] = "web" }));
            u.SetPod(Pod("other-1", "10.0.0.2", new() { ["app"] = "other" }));
        });
        var other = updater.Index.Lookup("10.0.0.2");
        var generation = updater.Index.Generation;

        Assert.Equal("web", updater.Index.Lookup("10.0.0.1")!.Service);

        // Modified: new labels (out of the service) and a second IP.
        updater.SetPod(Pod("web-1", "10.0.0.1", new() { ["app"] = "api" }) with { Ips = ["10.0.0.1", "fd00::1"] });
        updater.Publish();
        Assert.Equal("api", updater.Index.Lookup("10.0.0.1")!.Service);
        Assert.Same(updater.Index.Lookup("10.0.0.1"), updater.Index.Lookup("FD00::1"));
        Assert.Same(other, updater.Index.Lookup("10.0.0.2"));
        Assert.True(updater.Index.Generation > generation);

        // Deleted.
        updater.RemovePod(Pod("web-1", "10.0.0.1", []));
        updater.Publish();
        Assert.Null(updater.Index.Lookup("10.0.0.1"));
        Assert.Null(updater.Index.Lookup("fd00::1"));
        Assert.Same(other, updater.Index.Lookup("10.0.0.2"));
        Assert.Equal(new KubernetesCounts(1, 1, 0, 0), updater.Index.Counts);
    }

    [Fact]
    public void Pod_ModifiedWithoutChange_KeepsItsPeerInstanceAndTheGeneration()
    {
        var pod = Pod("web-1", "10.0.0.1", new() { ["app"] = "web" });
        var updater = Updated(u => u.SetPod(pod));
        var peer = updater.Index.Lookup("10.0.0.1");
        var generation = updater.Index.Generation;

        updater.SetPod(pod with { Annotations = new Dictionary<string, string> { ["touched"] = "yes" } });
        updater.Publish();

        Assert.Same(peer, updater.Index.Lookup("10.0.0.1"));
        Assert.Equal(generation, updater.Index.Generation);
    }

    [Fact]
    public void ReusedIp_ResolvesToTheNewPodWhicheverOrderTheEventsCome()
    {
        var old = Pod("web-old", "10.0.0.9", new() { ["app"] = "old" }) with { Created = T(1) };
        var fresh = Pod("web-new", "10.0.0.9", new() { ["app"] = "new" }) with { Created = T(2) };

        // The new pod before the old one's deletion, then the deletion.
        var updater = Updated(u => u.SetPod(old));
        updater.SetPod(fresh);
        updater.Publish();
        Assert.Equal("new", updater.Index.Lookup("10.0.0.9")!.Service);
        updater.RemovePod(old);
        updater.Publish();
        Assert.Equal("new", updater.Index.Lookup("10.0.0.9")!.Service);

        // The old pod finished (Succeeded) while still listed: its IP is the new pod's anyway.
        var other = Updated(u => u.SetPod(old));
        other.SetPod(old with { Phase = "Succeeded", Created = T(5) });
        other.SetPod(fresh);
        other.Publish();
        Assert.Equal("new", other.Index.Lookup("10.0.0.9")!.Service);

        // The new pod deleted again: the old one, still running, has the IP back.
        updater.SetPod(old);
        updater.RemovePod(fresh);
        updater.Publish();
        Assert.Equal("old", updater.Index.Lookup("10.0.0.9")!.Service);
    }

    [Fact]
    public void ServiceSelectorChange_RenamesThePodsItSelectedAndSelects()
    {
        var web = Pod("web-1", "10.0.0.1", new() { ["app"] = "web" });
        var api = Pod("api-1", "10.0.0.2", new() { ["app"] = "api" });
        var updater = Updated(u =>
        {
            u.SetPod(web);
            u.SetPod(api);
            u.SetService(Service("frontend", new() { ["app"] = "web" }));
        });
        Assert.Equal("frontend", updater.Index.Lookup("10.0.0.1")!.Service);
        Assert.Equal("api", updater.Index.Lookup("10.0.0.2")!.Service);

        updater.SetService(Service("frontend", new() { ["app"] = "api" }));
        updater.Publish();

        Assert.Equal("web", updater.Index.Lookup("10.0.0.1")!.Service);
        Assert.Equal("frontend", updater.Index.Lookup("10.0.0.2")!.Service);

        updater.RemoveService(Service("frontend", []));
        updater.Publish();

        Assert.Equal("api", updater.Index.Lookup("10.0.0.2")!.Service);
    }

    [Fact]
    public void EndpointSliceChange_LinksAndUnlinksOnlyThePodsItAddsOrDrops()
    {
        var db = Pod("db-0", "10.0.0.8", []) with { Workload = "db" };
        var cache = Pod("cache-0", "10.0.0.7", []) with { Workload = "cache" };
        var updater = Updated(u =>
        {
            u.SetPod(db);
            u.SetPod(cache);
            u.SetService(Service("database", []));
        });
        Assert.Equal("db", updater.Index.Lookup("10.0.0.8")!.Service);

        updater.SetSlice(Slice("database-1", "database", db));
        updater.Publish();
        Assert.Equal("database", updater.Index.Lookup("10.0.0.8")!.Service);
        var dbPeer = updater.Index.Lookup("10.0.0.8");

        // The slice gains a pod: only that pod changes.
        updater.SetSlice(Slice("database-1", "database", db, cache));
        updater.Publish();
        Assert.Same(dbPeer, updater.Index.Lookup("10.0.0.8"));
        Assert.Equal("database", updater.Index.Lookup("10.0.0.7")!.Service);

        // A second slice names db for the same service; dropping the first keeps the link.
        updater.SetSlice(Slice("database-2", "database", db));
        updater.RemoveSlice(Slice("database-1", "database"));
        updater.Publish();
        Assert.Same(dbPeer, updater.Index.Lookup("10.0.0.8"));
        Assert.Equal("cache", updater.Index.Lookup("10.0.0.7")!.Service);

        updater.RemoveSlice(Slice("database-2", "database"));
        updater.Publish();
        Assert.Equal("db", updater.Index.Lookup("10.0.0.8")!.Service);
    }

    [Fact]
    public void NodeAddresses_OverridePodsAndServicesAndGoWithTheNode()
    {
        var hostNetwork = Pod("exporter-x", "192.168.1.10", new() { ["app"] = "exporter" }) with { HostNetwork = true };
        var node = new NodeRecord { Name = "node-1", Addresses = ["192.168.1.10"] };
        var updater = Updated(u =>
        {
            u.SetPod(hostNetwork);
            u.SetNode(node);
            u.SetService(Service("vip", []) with { ClusterIps = ["10.96.0.1"] });
        });

        Assert.True(updater.Index.IsNodeAddress("192.168.1.10"));
        Assert.Null(updater.Index.Lookup("192.168.1.10"));
        Assert.Equal("vip", updater.Index.Lookup("10.96.0.1")!.Service);

        // A pod that takes the service's IP wins over it; the node, once it has it, over both.
        updater.SetPod(Pod("squatter", "10.96.0.1", new() { ["app"] = "squatter" }));
        updater.Publish();
        Assert.Equal("squatter", updater.Index.Lookup("10.96.0.1")!.Service);
        updater.SetNode(node with { Addresses = ["192.168.1.11", "10.96.0.1"] });
        updater.Publish();
        Assert.True(updater.Index.IsNodeAddress("10.96.0.1"));
        Assert.False(updater.Index.IsNodeAddress("192.168.1.10"));
        Assert.Null(updater.Index.Lookup("192.168.1.10"));

        updater.RemoveNode(node);
        updater.Publish();
        Assert.Equal("squatter", updater.Index.Lookup("10.96.0.1")!.Service);
        Assert.False(updater.Index.IsNodeAddress("192.168.1.11"));
    }

    [Fact]
    public void ServiceEntries_AreReplacedAsTheyChange()
    {
        var entry = new ServiceEntryRecord { Name = "stripe", Namespace = "payments", Hosts = ["api.stripe.com"] };
        var updater = Updated(u => u.SetServiceEntry(entry));

        Assert.Equal("api.stripe.com", updater.Index.ServiceEntries.Find("api.stripe.com", default)!.Value.Name);

        updater.RemoveServiceEntry(entry);
        updater.Publish();

        Assert.Null(updater.Index.ServiceEntries.Find("api.stripe.com", default));
        Assert.Equal(0, updater.Index.Counts.ServiceEntries);
    }

    [Fact]
    public void Upkeep_OfAPodReplacedInALargeCluster_IsProportionalToTheChange_NotToTheCluster()
    {
        // 10,000 pods in 500 services, each service with an EndpointSlice of its pods.
        var updater = new KubernetesIndexUpdater(Template);
        var pods = new List<PodRecord>();
        for (var s = 0; s < 500; s++)
        {
            var app = "svc-" + s;
            updater.SetService(Service(app, new() { ["app"] = app }) with { ClusterIps = [$"10.96.{s / 250}.{s % 250}"] });
            var members = Enumerable.Range(0, 20).Select(p => Pod($"{app}-{p}", $"10.{1 + (s / 250)}.{s % 250}.{p}", new() { ["app"] = app })).ToArray();
            pods.AddRange(members);
            Array.ForEach(members, updater.SetPod);
            updater.SetSlice(Slice(app, app, members));
        }

        updater.RecomputeAll();
        updater.Publish();
        Assert.Equal(10_000, updater.LastWork.Pods);
        Assert.True(updater.LastWork.Ips >= 10_500);

        // A rollout step: one pod deleted, its replacement added with a new IP, the slice updated.
        var old = pods[4_321];
        var replacement = old with { Name = old.Name + "-new", Ips = ["10.9.9.9"] };
        var slice = Slice(old.Labels["app"], old.Labels["app"], [.. pods.Where(p => p.Labels["app"] == old.Labels["app"] && p != old), replacement]);
        updater.RemovePod(old);
        updater.SetPod(replacement);
        updater.SetSlice(slice);
        updater.Publish();

        Assert.InRange(updater.LastWork.Pods, 1, 2);
        Assert.InRange(updater.LastWork.Ips, 1, 2);
        Assert.Null(updater.Index.Lookup(old.Ips[0]));
        Assert.Equal(old.Labels["app"], updater.Index.Lookup("10.9.9.9")!.Service);
        Assert.Equal(new KubernetesCounts(10_000, 500, 500, 0), updater.Index.Counts);
    }

    [Fact]
    public void Lookups_OnTheIngestPath_AllocateNothing()
    {
        var updater = Updated(u =>
        {
            u.SetPod(Pod("web-1", "10.0.0.1", new() { ["app"] = "web" }) with { Ips = ["10.0.0.1", "fd00::1"] });
            u.SetNode(new NodeRecord { Name = "node-1", Addresses = ["192.168.0.1"] });
        });
        var strings = new InternTable(10);
        var hit = IpText.FromUtf8("10.0.0.1"u8, strings);
        var upper = IpText.FromUtf8("FD00::1"u8, strings);
        var node = IpText.FromUtf8("192.168.0.1"u8, strings);
        var miss = IpText.FromUtf8("10.9.9.9"u8, strings);
        var index = updater.Index;
        int Look() => (index.Lookup(hit) is null ? 0 : 1) + (index.Lookup(upper) is null ? 0 : 1) + (index.Lookup(node) is null ? 0 : 1)
            + (index.Lookup(miss) is null ? 0 : 1) + (index.Lookup("10.0.0.1") is null ? 0 : 1);
        Assert.Equal(3, Look());

        var before = GC.GetAllocatedBytesForCurrentThread();
        var found = 0;
        for (var i = 0; i < 1000; i++)
        {
            found += Look();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(3000, found);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomEvents_AppliedIncrementally_LookUpAsAFreshBuildOfTheSameObjects(int seed)
    {
        var random = new Random(seed);
        var world = new World(random);
        var updater = new KubernetesIndexUpdater(Template);
        for (var step = 0; step < 400; step++)
        {
            world.Step(updater);
            if (random.Next(100) < 3)
            {
                updater.RecomputeAll();
            }

            if (random.Next(100) < 25 || step == 399)
            {
                updater.Publish();
                var reference = KubernetesIndexBuilder.Build(
                    world.Pods.Values, world.Services.Values, world.Slices.Values, world.Nodes.Values, Template, 1);
                foreach (var ip in World.AllIps)
                {
                    Assert.True(
                        Equals(reference.Lookup(ip), updater.Index.Lookup(ip)),
                        $"seed {seed}, step {step}, {ip}: expected {reference.Lookup(ip)}, got {updater.Index.Lookup(ip)}");
                    Assert.Equal(reference.IsNodeAddress(ip), updater.Index.IsNodeAddress(ip));
                }

                Assert.Equal(reference.Addresses, updater.Index.Addresses);
                Assert.Equal(reference.Counts, updater.Index.Counts);
            }
        }
    }

    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        for (var seed = 1; seed <= 40; seed++)
        {
            data.Add(seed);
        }

        return data;
    }

    private static KubernetesIndexUpdater Updated(Action<KubernetesIndexUpdater> changes)
    {
        var updater = new KubernetesIndexUpdater(Template);
        changes(updater);
        updater.Publish();
        return updater;
    }

    private static PodRecord Pod(string name, string ip, Dictionary<string, string> labels) => new()
    {
        Name = name,
        Namespace = "default",
        Ips = [ip],
        Phase = "Running",
        Labels = labels,
        Workload = name,
        WorkloadKind = "Deployment",
        Created = T(0),
    };

    private static ServiceRecord Service(string name, Dictionary<string, string> selector) =>
        new() { Name = name, Namespace = "default", Selector = selector };

    private static EndpointSliceRecord Slice(string name, string service, params PodRecord[] pods) => new()
    {
        Name = name,
        Namespace = "default",
        ServiceName = service,
        Endpoints = [.. pods.Select(p => new SliceEndpoint(p.Ips, Ready: true, p.Name, p.Namespace))],
    };

    private static DateTimeOffset T(int minutes) => new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero).AddMinutes(minutes);

    private static ServiceNameTemplate Parse(string text) =>
        ServiceNameTemplate.TryParse(text, out var t, out var error) ? t : throw new InvalidOperationException(error);

    /// <summary>A small cluster changed at random: few names and IPs, so that objects collide, replace and share often.</summary>
    private sealed class World(Random random)
    {
        public static readonly string[] AllIps =
            ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "fd00::a", "FD00::B", "10.96.0.1", "10.96.0.2", "192.168.0.1", "192.168.0.2"];

        private static readonly string[] Namespaces = ["a", "b"];
        private static readonly string[] Apps = ["x", "y", "z"];
        private static readonly string[] Phases = ["Running", "Running", "Running", "Pending", "Succeeded", "Failed"];

        public Dictionary<(string, string), PodRecord> Pods { get; } = [];

        public Dictionary<(string, string), ServiceRecord> Services { get; } = [];

        public Dictionary<(string, string), EndpointSliceRecord> Slices { get; } = [];

        public Dictionary<string, NodeRecord> Nodes { get; } = [];

        public void Step(KubernetesIndexUpdater updater)
        {
            var ns = Pick(Namespaces);
            var remove = random.Next(100) < 30;
            switch (random.Next(10))
            {
                case < 5:
                    var pod = NewPod(ns);
                    Apply(Pods, (ns, pod.Name), remove ? null : pod, updater.SetPod, updater.RemovePod);
                    break;
                case < 7:
                    var service = NewService(ns);
                    Apply(Services, (ns, service.Name), remove ? null : service, updater.SetService, updater.RemoveService);
                    break;
                case < 9:
                    var slice = NewSlice(ns);
                    Apply(Slices, (ns, slice.Name), remove ? null : slice, updater.SetSlice, updater.RemoveSlice);
                    break;
                default:
                    var node = new NodeRecord { Name = "node-" + random.Next(3), Addresses = Some(["192.168.0.1", "192.168.0.2", "10.0.0.5", "fd00::A"], 2) };
                    Apply(Nodes, node.Name, remove ? null : node, updater.SetNode, updater.RemoveNode);
                    break;
            }
        }

        private static void Apply<TKey, TRecord>(Dictionary<TKey, TRecord> store, TKey key, TRecord? record, Action<TRecord> set, Action<TRecord> remove)
            where TKey : notnull
            where TRecord : class
        {
            if (record is not null)
            {
                store[key] = record;
                set(record);
            }
            else if (store.Remove(key, out var old))
            {
                remove(old);
            }
        }

        private PodRecord NewPod(string ns)
        {
            var labels = new Dictionary<string, string>();
            if (random.Next(4) > 0)
            {
                labels["app"] = Pick(Apps);
            }

            if (random.Next(2) == 0)
            {
                labels["tier"] = Pick(["web", "db"]);
            }

            return new PodRecord
            {
                Name = "pod-" + random.Next(8),
                Namespace = ns,
                Ips = Some(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "FD00::A", "fd00::b", "10.96.0.1"], 2),
                Phase = Pick(Phases),
                HostNetwork = random.Next(10) == 0,
                Labels = labels,
                Workload = "wl-" + random.Next(3),
                WorkloadKind = "Deployment",
                Created = T(random.Next(3)),
            };
        }

        private ServiceRecord NewService(string ns)
        {
            var selector = new Dictionary<string, string>();
            if (random.Next(4) > 0)
            {
                selector["app"] = Pick(Apps);
            }

            if (random.Next(3) == 0)
            {
                selector["tier"] = Pick(["web", "db"]);
            }

            return new ServiceRecord
            {
                Name = "svc-" + random.Next(4),
                Namespace = ns,
                Selector = selector,
                ClusterIps = Some(["10.96.0.1", "10.96.0.2", "10.0.0.4"], 1),
            };
        }

        private EndpointSliceRecord NewSlice(string ns)
        {
            var endpoints = new List<SliceEndpoint>();
            for (var i = random.Next(4); i > 0; i--)
            {
                // Mostly pods of the slice's namespace, some of the other one, some without a pod.
                var podNs = random.Next(5) == 0 ? Pick(Namespaces) : null;
                var podName = random.Next(6) == 0 ? null : "pod-" + random.Next(8);
                endpoints.Add(new SliceEndpoint(["10.0.0.1"], random.Next(3) > 0, podName, podNs));
            }

            return new EndpointSliceRecord
            {
                Name = "slice-" + random.Next(4),
                Namespace = ns,
                ServiceName = "svc-" + random.Next(5),
                Endpoints = endpoints,
            };
        }

        private string[] Some(string[] choices, int max) =>
            [.. choices.OrderBy(_ => random.Next()).Take(random.Next(max + 1))];

        private T Pick<T>(T[] choices) => choices[random.Next(choices.Length)];
    }
}
