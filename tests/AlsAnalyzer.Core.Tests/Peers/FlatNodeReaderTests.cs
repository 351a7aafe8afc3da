using AlsAnalyzer.Core.Peers;
using AlsAnalyzer.Core.Tests.Support;
using AlsAnalyzer.Testing;
using TestPeers = AlsAnalyzer.Testing.Peers;
using FsCheck.Xunit;
using Google.FlatBuffers;

namespace AlsAnalyzer.Core.Tests.Peers;

public sealed class FlatNodeReaderTests
{
    // Written from Istio's FlatNode field list (see ALS-SEMANTICS.md section 3), not copied from Istio.
    private const string Schema = """
        namespace Wasm.Common;

        table KeyVal {
          key:string (key);
          value:string;
        }

        table FlatNode {
          name:string;
          namespace:string;
          labels:[KeyVal];
          owner:string;
          workload_name:string;
          platform_metadata:[KeyVal];
          istio_version:string;
          mesh_id:string;
          app_containers:[string];
          cluster_id:string;
          instance_ips:[string];
          identity:string;
        }

        root_type FlatNode;
        """;

    // Every field set, including the ones the reader skips, so the reader must find its fields by slot.
    private const string Instance = """
        {
          "name": "details-v1-65599dcf88-pqrst",
          "namespace": "backend",
          "labels": [
            { "key": "app", "value": "details" },
            { "key": "istio", "value": "ingressgateway" },
            { "key": "service.istio.io/canonical-name", "value": "details-canonical" },
            { "key": "service.istio.io/canonical-revision", "value": "rev-3" },
            { "key": "version", "value": "v1" }
          ],
          "owner": "kubernetes://apis/apps/v1/namespaces/backend/deployments/details-v1",
          "workload_name": "details-v1",
          "platform_metadata": [ { "key": "gcp_project", "value": "p1" } ],
          "istio_version": "1.22.3",
          "mesh_id": "cluster.local",
          "app_containers": [ "details", "log-shipper" ],
          "cluster_id": "east-1",
          "instance_ips": [ "10.244.2.40", "fd00::40" ],
          "identity": "spiffe://cluster.local/ns/backend/sa/details"
        }
        """;

    [Fact]
    public void TryRead_BuilderFlatNode_ReadsEveryField()
    {
        // Arrange
        var bytes = TestPeers.FlatNodeBytes(TestMesh.Details);

        // Act
        var ok = FlatNodeReader.TryRead(bytes, out var peer);

        // Assert
        Assert.True(ok);
        Assert.Equal("backend", peer.Namespace);
        Assert.Equal("details", peer.Service);
        Assert.Equal("details-v1", peer.Workload);
        Assert.Equal("details-v1-65599dcf88-pqrst", peer.Instance);
        Assert.Equal("v1", peer.Version);
        Assert.Equal("Kubernetes", peer.Cluster);
        Assert.False(peer.IsGateway);
    }

    [Fact]
    public void TryRead_NoLabels_ServiceFromWorkloadName()
    {
        // Arrange
        var b = new FlatBufferBuilder(128);
        var name = b.CreateString("cart-5d8f9c7b6d-abcde");
        var ns = b.CreateString("shop");
        var workload = b.CreateString("cart-v2");
        b.StartTable(12);
        b.AddOffset(0, name.Value, 0);
        b.AddOffset(1, ns.Value, 0);
        b.AddOffset(4, workload.Value, 0);
        b.Finish(b.EndTable());

        // Act
        var ok = FlatNodeReader.TryRead(b.SizedByteArray(), out var peer);

        // Assert
        Assert.True(ok);
        Assert.Equal("shop", peer.Namespace);
        Assert.Equal("cart-v2", peer.Service);
        Assert.Equal("cart-5d8f9c7b6d-abcde", peer.Instance);
        Assert.Empty(peer.Version);
        Assert.Empty(peer.Cluster);
    }

    [Fact]
    public void TryRead_AppKubernetesNameWithoutCanonicalName_ServiceFromAppKubernetesName()
    {
        // Arrange
        var bytes = BuildWithLabels(("app", "app-label"), ("app.kubernetes.io/name", "k8s-name"));

        // Act
        var ok = FlatNodeReader.TryRead(bytes, out var peer);

        // Assert
        Assert.True(ok);
        Assert.Equal("k8s-name", peer.Service);
    }

    [Fact]
    public void TryRead_LabelCountBeyondAnyRealProxy_False()
    {
        // Arrange
        var labels = Enumerable.Range(0, 300).Select(i => ($"k{i:D3}", "v")).ToArray();
        var bytes = BuildWithLabels(labels);

        // Act
        var ok = FlatNodeReader.TryRead(bytes, out _);

        // Assert
        Assert.False(ok);
    }

    [Fact]
    public void TryRead_EveryPrefixOfValidBuffer_FalseOrConsistentPeerNeverThrows()
    {
        // Arrange
        var bytes = TestPeers.FlatNodeBytes(TestMesh.ReviewsV1);
        Assert.True(FlatNodeReader.TryRead(bytes, out var full));

        for (var length = 0; length < bytes.Length; length++)
        {
            // Act
            var ok = FlatNodeReader.TryRead(bytes[..length], out var peer);

            // Assert: a truncated buffer is rejected, or what was read is what the full buffer holds.
            if (ok)
            {
                Assert.NotNull(peer);
                Assert.Equal(full, peer);
            }
        }
    }

    [Fact]
    public void TryRead_EverySingleBitFlip_NeverThrows()
    {
        // Arrange
        var original = TestPeers.FlatNodeBytes(TestMesh.ReviewsV1);
        var decoded = 0;

        for (var i = 0; i < original.Length; i++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                var bytes = (byte[])original.Clone();
                bytes[i] ^= (byte)(1 << bit);

                // Act
                var ok = FlatNodeReader.TryRead(bytes, out var peer);

                // Assert
                if (ok)
                {
                    Assert.NotNull(peer);
                    decoded++;
                }
            }
        }

        // Flips in string contents still decode: the loop did reach the successful path.
        Assert.True(decoded > 0);
    }

    // Too short; root offset 0; root past the end; vtable offset wrapping below zero (int.MaxValue,
    // int.MinValue); a vtable claiming more slots than the buffer holds.
    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7 })]
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0x04, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0x04, 0, 0, 0, 0x00, 0x00, 0x00, 0x80, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0x04, 0, 0, 0, 0xFC, 0xFF, 0xFF, 0xFF, 0x1C, 0x00, 0x08, 0x00 })]
    public void TryRead_HandCraftedGarbage_FalseWithoutThrowing(byte[] bytes)
    {
        // Act
        var ok = FlatNodeReader.TryRead(bytes, out _);

        // Assert
        Assert.False(ok);
    }

    [Property(MaxTest = 500)]
    public void TryRead_RandomBytes_NeverThrows(byte[] bytes)
    {
        // Act
        var ok = FlatNodeReader.TryRead(bytes, out var peer);

        // Assert
        Assert.True(!ok || peer is not null);
    }

    [Fact]
    public async Task TryRead_BinaryProducedByFlatc_ReadsEveryField()
    {
        // Arrange
        var flatc = FindOnPath("flatc");
        Assert.True(
            flatc is not null,
            "flatc is not on PATH. Install the FlatBuffers compiler (Debian/Ubuntu: apt-get install -y flatbuffers-compiler); CI installs it, and this cross-check must not be skipped.");
        var dir = Directory.CreateTempSubdirectory("als-flatnode-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "flat_node.fbs"), Schema, TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "details.json"), Instance, TestContext.Current.CancellationToken);
            await RunAsync(flatc, dir.FullName, "-b", "flat_node.fbs", "details.json");
            var bytes = await File.ReadAllBytesAsync(Path.Combine(dir.FullName, "details.bin"), TestContext.Current.CancellationToken);

            // Act
            var ok = FlatNodeReader.TryRead(bytes, out var peer);

            // Assert
            Assert.True(ok);
            Assert.Equal("backend", peer.Namespace);
            Assert.Equal("details-canonical", peer.Service);
            Assert.Equal("details-v1", peer.Workload);
            Assert.Equal("details-v1-65599dcf88-pqrst", peer.Instance);
            Assert.Equal("rev-3", peer.Version);
            Assert.Equal("east-1", peer.Cluster);
            Assert.True(peer.IsGateway);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static byte[] BuildWithLabels(params (string Key, string Value)[] labels)
    {
        var b = new FlatBufferBuilder(1024);
        var vector = TestPeers.FlatNodeLabels(b, labels);
        var ns = b.CreateString("shop");
        var workload = b.CreateString("cart-v1");
        b.StartTable(12);
        b.AddOffset(1, ns.Value, 0);
        b.AddOffset(2, vector.Value, 0);
        b.AddOffset(4, workload.Value, 0);
        b.Finish(b.EndTable());
        return b.SizedByteArray();
    }

    private static string? FindOnPath(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static async Task RunAsync(string exe, string workingDirectory, params string[] args)
    {
        var result = await ProcessResult.RunAsync(exe, args, workingDirectory, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.True(result.ExitCode == 0, $"{exe} {string.Join(' ', args)} exited with {result.ExitCode}: {result.Stdout}{result.Stderr}");
    }
}
