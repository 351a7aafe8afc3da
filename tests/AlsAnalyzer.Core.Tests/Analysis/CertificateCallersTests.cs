using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Tests.Analysis;

/// <summary>The cache of callers named by their certificate's SPIFFE id: bounded in keys and bytes, counted, and always right.</summary>
public sealed class CertificateCallersTests
{
    [Fact]
    public void Get_SameIdentityTwice_NamedByItsNamespaceAndServiceAccountAndKeptOnce()
    {
        var cache = new CertificateCallers(capacity: 100);

        var first = cache.Get("spiffe://cluster.local/ns/shop/sa/cart");
        var second = cache.Get("spiffe://cluster.local/ns/shop/sa/cart");

        Assert.Equal(NodeRef.ServiceAccount("shop", "cart"), first);
        Assert.Equal(first, second);
        Assert.Equal(1, cache.Count);
        Assert.InRange(cache.Bytes, DecodeLimits.StringBytes("spiffe://cluster.local/ns/shop/sa/cart"), 1_000);
    }

    [Fact]
    public void Get_DistinctIdentitiesPastTheByteCap_NewGenerationsCountedAndBytesWithinTheCap()
    {
        // Room for about three identities.
        var one = new CertificateCallers(capacity: 100);
        one.Get(Identity(0));
        var cache = new CertificateCallers(capacity: 100, maxBytes: (one.Bytes * 3) + 10);
        var peak = 0L;

        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(NodeRef.ServiceAccount($"ns-{i:x6}", $"sa-{i:x6}"), cache.Get(Identity(i)));
            peak = Math.Max(peak, cache.Bytes);
        }

        Assert.InRange(peak, 1, cache.ByteCapacity);
        Assert.Equal(9, cache.Resets);
        Assert.Equal(0, cache.Overflow);
    }

    [Fact]
    public void Get_PastTheKeyCap_NewGenerationCounted()
    {
        var cache = new CertificateCallers(capacity: 4);

        for (var i = 0; i < 9; i++)
        {
            cache.Get(Identity(i));
        }

        Assert.Equal(2, cache.Resets);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Get_IdentityAlonePastTheByteCap_NamedButNotKept()
    {
        var cache = new CertificateCallers(capacity: 100, maxBytes: 100);

        var node = cache.Get(Identity(1));

        Assert.Equal(NodeRef.ServiceAccount("ns-000001", "sa-000001"), node);
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.Bytes);
        Assert.Equal(1, cache.Overflow);
    }

    private static string Identity(int i) => $"spiffe://cluster.local/ns/ns-{i:x6}/sa/sa-{i:x6}";
}
