using System.Collections.Frozen;
using System.Text;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Kubernetes;
using AlsAnalyzer.Core.Peers;

namespace AlsAnalyzer.Core.Tests.Decoding;

/// <summary>The decoder's lookup tables: <see cref="ByteKeyTable{TValue}"/>, <see cref="InternTable"/> and <see cref="IpText"/>.</summary>
public sealed class DecodingTablesTests
{
    [Fact]
    public void GetOrAdd_SameBytes_CreatesOnceAndReturnsTheKeptValue()
    {
        // Arrange
        var table = new ByteKeyTable<string>(100);
        var created = 0;
        string Create(ReadOnlySpan<byte> key)
        {
            created++;
            return Encoding.UTF8.GetString(key);
        }

        // Act
        var first = table.GetOrAdd("10.244.1.7"u8, Create);
        var second = table.GetOrAdd(Encoding.UTF8.GetBytes("10.244.1.7"), Create);

        // Assert
        Assert.Equal("10.244.1.7", first);
        Assert.Same(first, second);
        Assert.Equal(1, created);
        Assert.Equal(1, table.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(600)]
    public void GetOrAdd_KeysAroundTheInlineLimit_TellApartKeysThatDifferInOneByte(int length)
    {
        // Arrange: keys of one length differing in their last byte, and a shorter prefix.
        var table = new ByteKeyTable<string>(10_000);
        var keys = Enumerable.Range(0, 200).Select(i =>
        {
            var key = new byte[length + 1];
            key.AsSpan().Fill((byte)'a');
            key[^1] = (byte)i;
            return key;
        }).ToList();
        keys.Add(new byte[length]);

        // Act
        var values = keys.Select((k, i) => table.GetOrAdd(k, _ => i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        var again = keys.Select(k => table.GetOrAdd(k, _ => "new")).ToList();

        // Assert: one value per key, all kept (the table grew past its first size), found again.
        Assert.Equal(Enumerable.Range(0, keys.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), values);
        Assert.Equal(values, again);
        Assert.Equal(keys.Count, table.Count);
    }

    [Fact]
    public void GetOrAdd_PastCapacity_StartsANewGenerationAndCountsIt()
    {
        // Arrange
        var table = new ByteKeyTable<string>(2);
        var a = table.GetOrAdd("a"u8, _ => "a");
        table.GetOrAdd("b"u8, _ => "b");

        // Act: a third key empties the table and is kept in the new generation.
        var c1 = table.GetOrAdd("c"u8, _ => new string('c', 1));
        var c2 = table.GetOrAdd("c"u8, _ => throw new InvalidOperationException("c is kept"));
        var a2 = table.GetOrAdd("a"u8, _ => new string('a', 1));

        // Assert: c kept; a made again (the old generation is gone), and kept again.
        Assert.Equal("c", c1);
        Assert.Same(c1, c2);
        Assert.Equal("a", a2);
        Assert.NotSame(a, a2);
        Assert.Equal(2, table.Count);
        Assert.Equal(1, table.Resets);
        Assert.Equal(0, table.Overflow);
    }

    [Fact]
    public void GetOrAdd_PastByteCapacity_StartsANewGenerationWithinTheBytes()
    {
        // Arrange: values of about 2 KB each, a table of 16 KB (its empty slot array takes 3 KB).
        var table = new ByteKeyTable<string>(1_000, maxBytes: 16 * 1024, valueBytes: DecodeLimits.StringBytes);

        // Act
        for (var i = 0; i < 100; i++)
        {
            table.GetOrAdd(Encoding.ASCII.GetBytes("key" + i), _ => new string('x', 1_000));
            Assert.InRange(table.Bytes, 0, table.ByteCapacity);
        }

        // Assert: about six values per generation.
        Assert.InRange(table.Count, 1, 6);
        Assert.InRange(table.Resets, 100 / 6, 100 / 5);
    }

    [Fact]
    public void GetOrAdd_KeyLongerThanTheLimit_IsMadeEachTimeAndCounted()
    {
        var table = new ByteKeyTable<string>(10, maxKeyBytes: 8);

        var first = table.GetOrAdd("0123456789"u8, _ => new string('v', 1));
        var second = table.GetOrAdd("0123456789"u8, _ => new string('v', 1));

        Assert.NotSame(first, second);
        Assert.Equal(0, table.Count);
        Assert.Equal(2, table.TooLong);
    }

    [Fact]
    public void GetOrAdd_ValueLargerThanTheWholeBudget_IsNotKeptAndCountedAsOverflow()
    {
        var table = new ByteKeyTable<string>(10, maxBytes: 4096, valueBytes: DecodeLimits.StringBytes);

        table.GetOrAdd("big"u8, _ => new string('x', 4096));

        Assert.Equal(0, table.Count);
        Assert.Equal(1, table.Overflow);
        Assert.Equal(0, table.Resets);
    }

    [Fact]
    public void ClusterNameCache_PastItsBytes_StartsANewGenerationAndCountsIt()
    {
        // Arrange: room for about two names of this length.
        var name = "outbound|9080||reviews.default.svc.cluster.local";
        var one = 64 + DecodeLimits.StringBytes(name) + ClusterNameCache.ParsedClusterBytes(ClusterNames.Create(name));
        var cache = new ClusterNameCache(100, maxBytes: (2 * one) + 10);

        // Act
        for (var i = 0; i < 5; i++)
        {
            cache.Parse(name.Replace("9080", "90" + i, StringComparison.Ordinal));
        }

        // Assert
        Assert.InRange(cache.Bytes, 1, cache.ByteCapacity);
        Assert.Equal(2, cache.Resets);
        Assert.Equal(1, cache.Count);
        Assert.Equal("reviews", cache.Parse(name).Destination.Name);
    }

    [Fact]
    public void InternUtf8_LongerThanTheKeyLimit_FoldsToTooLongAndCountsIt()
    {
        var table = new InternTable(10);
        var host = Encoding.ASCII.GetBytes(new string('h', DecodeLimits.MaxKeyBytes + 1));

        Assert.Equal(DecodeLimits.TooLong, table.InternUtf8(host));
        Assert.Equal(new string('h', DecodeLimits.MaxKeyBytes), table.InternUtf8(host.AsSpan(1)));
        Assert.Equal(1, table.TooLong);
        Assert.Equal(DecodeLimits.TooLong, DecodeLimits.Fold(Encoding.ASCII.GetString(host)));
    }

    [Fact]
    public void EndpointTable_PathsWithIds_KeepOneEndpointAndCacheRawPaths()
    {
        var table = new EndpointTable(1_000);

        var endpoints = Enumerable.Range(0, 100).Select(i => table.Intern(1, Encoding.ASCII.GetBytes("/users/" + i))).ToList();

        Assert.All(endpoints, e => Assert.Same(endpoints[0], e));
        Assert.Equal("GET /users/{id}", endpoints[0]);
        Assert.Equal(1, table.Count);
        Assert.Equal(100, table.Paths.Count);
    }

    [Fact]
    public void EndpointTable_PathLongerThanTheLimit_IsTruncatedNotCachedAndCounted()
    {
        var table = new EndpointTable(1_000, new EndpointGrouping(groupIds: true, [], 64));
        var path = "/search/" + string.Join('/', Enumerable.Range(0, 1_000).Select(i => "word" + (char)('a' + (i % 26))));

        var endpoint = table.Intern(1, Encoding.ASCII.GetBytes(path));
        var again = table.Intern(1, Encoding.ASCII.GetBytes(path));

        Assert.StartsWith("GET /search/worda/", endpoint, StringComparison.Ordinal);
        Assert.EndsWith("/{truncated}", endpoint, StringComparison.Ordinal);
        Assert.InRange(Encoding.UTF8.GetByteCount(endpoint) - "GET ".Length, 0, 64);
        Assert.Same(endpoint, again);
        Assert.Equal(0, table.Paths.Count);
        Assert.Equal(2, table.TooLong);
    }

    [Fact]
    public async Task GetOrAdd_ConcurrentReadersAndWriters_EveryKeyHasOneValue()
    {
        // Arrange: writers add the same 5,000 keys in different orders while the table grows.
        var table = new ByteKeyTable<string>(100_000);
        var keys = Enumerable.Range(0, 5_000).Select(i => "10.244." + (i / 250) + "." + (i % 250)).ToArray();

        // Act
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            var order = keys.ToArray();
            new Random(t).Shuffle(order);
            return order.ToDictionary(k => k, k => table.GetOrAdd(Encoding.ASCII.GetBytes(k), b => Encoding.ASCII.GetString(b)));
        })));

        // Assert: every thread got the key's text; the table kept one value per key (an add that
        // found the write lock busy is left to a later sight, as here).
        foreach (var key in keys)
        {
            Assert.All(results, r => Assert.Equal(key, r[key]));
            var kept = table.GetOrAdd(Encoding.ASCII.GetBytes(key), b => Encoding.ASCII.GetString(b));
            Assert.Same(kept, table.GetOrAdd(Encoding.ASCII.GetBytes(key), _ => throw new InvalidOperationException("kept")));
        }

        Assert.Equal(keys.Length, table.Count);
    }

    [Fact]
    public void InternUtf8_InvalidUtf8_DecodesAsTheGeneratedParserDoes()
    {
        // Arrange
        var table = new InternTable(10);
        byte[] invalid = [(byte)'a', 0xFF, (byte)'b'];

        // Act
        var s = table.InternUtf8(invalid);

        // Assert
        Assert.Equal(Encoding.UTF8.GetString(invalid), s);
        Assert.Equal("a\uFFFDb", s);
        Assert.Same(string.Empty, table.InternUtf8([]));
    }

    [Theory]
    [InlineData(1, "/api/v1/items", "GET /api/v1/items")]
    [InlineData(3, "/mesh.Svc/Call", "POST /mesh.Svc/Call")]
    [InlineData(0, "/x", "- /x")]
    [InlineData(300, "/x", "- /x")]
    [InlineData(-5, "/x", "- /x")]
    public void EndpointTable_MethodAndPath_NamesTheEndpointAsTheReferenceDoes(int method, string path, string expected)
    {
        // Arrange
        var table = new EndpointTable(10);

        // Act
        var endpoint = table.Intern(method, Encoding.UTF8.GetBytes(path));

        // Assert
        Assert.Equal(expected, endpoint);
        Assert.Equal(EntryFields.MethodName(method) + " " + path, endpoint);
        Assert.Same(endpoint, table.Intern(method, Encoding.UTF8.GetBytes(path)));
    }

    [Fact]
    public void EndpointTable_SamePathDifferentMethods_AreDifferentEndpoints()
    {
        var table = new EndpointTable(10);

        Assert.Equal("GET /a", table.Intern(1, "/a"u8));
        Assert.Equal("PUT /a", table.Intern(4, "/a"u8));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void PeerInfo_CopyWithOtherService_NamesItsOwnNode()
    {
        var peer = new PeerInfo { Namespace = "default", Service = "reviews" };
        Assert.Equal(Model.NodeRef.Service("default", "reviews"), peer.ToNode());

        var copy = peer with { Service = "ratings" };

        Assert.Equal(Model.NodeRef.Service("default", "ratings"), copy.ToNode());
        Assert.Equal(Model.NodeRef.Service("default", "reviews"), peer.ToNode());
        Assert.NotEqual(peer, copy);
        Assert.Equal(peer, peer with { });
    }

    [Theory]
    [InlineData("10.244.1.7")]
    [InlineData("255.255.255.255")]
    [InlineData("2001:db8::1")]
    [InlineData("fd00:10:244:1::17")]
    [InlineData("2001:0db8:0000:0000:0000:ff00:0042:8329")]
    [InlineData("é.1")]
    [InlineData("a\0")]
    public void IpText_FromBytesAndFromString_AreEqualAndReadBack(string ip)
    {
        // Arrange
        var strings = new InternTable(10);

        // Act
        var fromBytes = IpText.FromUtf8(Encoding.UTF8.GetBytes(ip), strings);
        var fromString = IpText.FromString(ip);

        // Assert
        Assert.Equal(fromString, fromBytes);
        Assert.Equal(fromString.GetHashCode(), fromBytes.GetHashCode());
        Assert.Equal(ip, fromBytes.ToString());
        Assert.Equal(ip, fromBytes.ToInternedString(strings));
        Assert.Equal(ip.Length, fromBytes.Length);
        Assert.True(fromBytes.SameAs(ip));
        Assert.True(fromBytes.SameAs(ip.ToUpperInvariant()));
    }

    [Fact]
    public void IpText_EveryInlineLength_RoundTripsAndTellsApartOneChangedByte()
    {
        // Arrange
        var strings = new InternTable(10);
        var random = new Random(7);

        for (var length = 1; length <= 17; length++)
        {
            for (var trial = 0; trial < 50; trial++)
            {
                var bytes = new byte[length];
                for (var i = 0; i < length; i++)
                {
                    bytes[i] = (byte)random.Next(1, 128);
                }

                var changed = (byte[])bytes.Clone();
                var at = random.Next(length);
                changed[at] = (byte)((changed[at] % 127) + 1);

                // Act
                var ip = IpText.FromUtf8(bytes, strings);
                var other = IpText.FromUtf8(changed, strings);

                // Assert
                var text = Encoding.ASCII.GetString(bytes);
                Assert.Equal(text, ip.ToString());
                Assert.Equal(IpText.FromString(text), ip);
                Assert.NotEqual(ip, other);
            }
        }
    }

    [Fact]
    public void IpText_DifferentTexts_AreDifferent()
    {
        var strings = new InternTable(10);

        Assert.NotEqual(IpText.FromString("10.0.0.1"), IpText.FromString("10.0.0.10"));
        Assert.NotEqual(IpText.FromUtf8("a\0"u8, strings), IpText.FromUtf8("a"u8, strings));
        Assert.False(IpText.FromString("10.0.0.1").SameAs("10.0.0.2"));
        Assert.True(IpText.FromString(string.Empty).IsEmpty);
        Assert.False(IpText.FromString(string.Empty).SameAs(string.Empty));
        Assert.Equal(default, IpText.FromUtf8([], strings));
    }

    [Theory]
    [InlineData("10.244.1.7")]
    [InlineData("fd00:10:244::a")]
    [InlineData("FD00:10:244::A")]
    [InlineData("Fd00:10:244::a")]
    [InlineData("2001:0DB8:0000:0000:0000:FF00:0042:8329")]
    [InlineData("2001:0db8:0000:0000:0000:ff00:0042:8329")]
    public void KubernetesIndex_LookupByIpText_FindsWhatTheStringLookupFinds(string logged)
    {
        // Arrange: the index as the builder makes it (case-insensitive), with IPv6 in mixed case.
        var pod = new PeerInfo { Namespace = "default", Service = "reviews", Instance = "reviews-v1-abc" };
        var index = new KubernetesIndex(
            new Dictionary<string, PeerInfo>
            {
                ["10.244.1.7"] = pod,
                ["fd00:10:244::A"] = pod,
                ["2001:0db8:0000:0000:0000:FF00:0042:8329"] = pod,
                ["10.0.0.5"] = KubernetesIndex.NodeAddress,
                ["FD00::5"] = KubernetesIndex.NodeAddress,
            }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            default,
            1);
        var strings = new InternTable(10);

        // Act
        var byText = index.Lookup(IpText.FromUtf8(Encoding.UTF8.GetBytes(logged), strings));

        // Assert
        Assert.Same(pod, index.Lookup(logged));
        Assert.Same(pod, byText);
    }

    [Fact]
    public void KubernetesIndex_LookupByIpText_NodeAndUnknownAddressesNameNoPeer()
    {
        var index = new KubernetesIndex(
            new Dictionary<string, PeerInfo> { ["10.0.0.5"] = KubernetesIndex.NodeAddress, ["FD00::5"] = KubernetesIndex.NodeAddress }
                .ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            default,
            1);
        var strings = new InternTable(10);

        Assert.Null(index.Lookup(IpText.FromUtf8("10.0.0.5"u8, strings)));
        Assert.Null(index.Lookup(IpText.FromUtf8("fd00::5"u8, strings)));
        Assert.Null(index.Lookup(IpText.FromString("10.244.1.8")));
        Assert.Null(index.Lookup(default(IpText)));
    }
}
