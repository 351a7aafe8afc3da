using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Tests.Support;
using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Core.Tests.Decoding;

/// <summary>
/// Names decoded once per peer payload or per stream are interned in the pipeline's strings, so
/// that the pods of one workload hand the ingest path the same references (compared by
/// reference first by the aggregation's and the Istio tables' keys).
/// </summary>
public sealed class NameInterningTests
{
    [Fact]
    public void Intern_EqualNamesBuiltApart_GiveOneInstance_AndNamesTheTableCannotHoldComeBackUnchanged()
    {
        var table = new InternTable(100);
        var first = table.Intern(string.Concat("reviews", ".default"));
        var second = table.Intern(string.Concat("reviews.", "default"));
        Assert.Same(first, second);
        Assert.Equal("reviews.default", first);

        Assert.Same(string.Empty, table.Intern(string.Empty));
        var tooLong = new string('a', DecodeLimits.MaxKeyBytes + 1);
        Assert.Same(tooLong, table.Intern(tooLong));

        // Three bytes a char in UTF-8: fits in chars, not in the table's bytes.
        var wide = new string('\u20ac', (DecodeLimits.MaxKeyBytes / 2) + 1);
        Assert.Same(wide, table.Intern(wide));

        // A lone surrogate does not survive UTF-8: kept as it came.
        var broken = "svc\ud800";
        Assert.Same(broken, table.Intern(broken));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PeerCache_TwoPodsOfOneWorkload_ShareTheirNames_InBothEncodings(bool flatNode)
    {
        var names = new InternTable(1_000);
        var peers = new PeerCache(100, names: names);
        var podA = TestMesh.ReviewsV1 with { Pod = "reviews-v1-7f99cc4496-aaaaa", Ip = "10.0.0.21" };
        var podB = TestMesh.ReviewsV1 with { Pod = "reviews-v1-7f99cc4496-bbbbb", Ip = "10.0.0.22" };

        var a = Decode(peers, podA, flatNode);
        var b = Decode(peers, podB, flatNode);

        Assert.NotSame(a, b);
        Assert.NotEqual(a.Instance, b.Instance);
        Assert.Same(a.Namespace, b.Namespace);
        Assert.Same(a.Service, b.Service);
        Assert.Same(a.Workload, b.Workload);
        Assert.Same(a.Version, b.Version);
        Assert.Same(a.ToNode().Name, b.ToNode().Name);
        Assert.Same(a.ToWorkloadId(), b.ToWorkloadId());

        // Interning changes no value: the same peer as decoded without a table.
        var plain = Decode(new PeerCache(100), podA, flatNode);
        Assert.Equal(plain, a);
    }

    [Fact]
    public void StreamIdentity_TwoPodsOfOneWorkload_ShareTheReportersNames()
    {
        var names = new InternTable(1_000);
        var podA = TestMesh.ReviewsV1 with { Pod = "reviews-v1-7f99cc4496-aaaaa", Ip = "10.0.0.21" };
        var podB = TestMesh.ReviewsV1 with { Pod = "reviews-v1-7f99cc4496-bbbbb", Ip = "10.0.0.22" };

        var a = StreamIdentityParser.Parse(Nodes.Sidecar(podA), "als", names.Intern);
        var b = StreamIdentityParser.Parse(Nodes.Sidecar(podB), "als", names.Intern);

        Assert.NotEqual(a.Instance, b.Instance);
        Assert.Same(a.Node.Namespace, b.Node.Namespace);
        Assert.Same(a.Node.Name, b.Node.Name);
        Assert.Same(a.WorkloadId!.Workload, b.WorkloadId!.Workload);
        Assert.Same(a.WorkloadId.Version, b.WorkloadId.Version);
        Assert.Same(a.WorkloadId.Cluster, b.WorkloadId.Cluster);
        Assert.Same(a.WorkloadId, b.WorkloadId);
        var plain = StreamIdentityParser.Parse(Nodes.Sidecar(podA), "als");
        Assert.Equal((plain.Node, plain.Workload, plain.Version, plain.Cluster, plain.WorkloadId), (a.Node, a.Workload, a.Version, a.Cluster, a.WorkloadId));
    }

    private static Core.Peers.PeerInfo Decode(PeerCache peers, Workload w, bool flatNode)
    {
        var (status, peer) = flatNode ? peers.FlatNode(Testing.Peers.AsFlatNode(w).Value.Span) : peers.Struct(Testing.Peers.AsStruct(w).Value.Span);
        Assert.Equal(Core.Peers.PeerDecodeStatus.Decoded, status);
        return peer!;
    }

    [Fact]
    public void WorkloadId_Shared_EqualValuesBuiltApartGiveOneObject_AndDistinctValuesNeverShare()
    {
        var a = WorkloadId.Shared(string.Concat("reviews", "-v1"), "v1", "Kubernetes");
        var b = WorkloadId.Shared(string.Concat("reviews-", "v1"), "v1", "Kubernetes");
        Assert.Same(a, b);
        Assert.Equal(new WorkloadId("reviews-v1", "v1", "Kubernetes"), a);

        // More distinct workloads than the table has slots: every one comes back with its own
        // values, whatever it displaced (sharing is an optimisation, never a change of value).
        for (var i = 0; i < 20_000; i++)
        {
            var (workload, version, cluster) = ($"w{i % 5_000}", $"v{i % 7}", i % 2 == 0 ? "east" : string.Empty);
            var shared = WorkloadId.Shared(workload, version, cluster);
            Assert.Equal((workload, version, cluster), (shared.Workload, shared.Version, shared.Cluster));
        }
    }
}
