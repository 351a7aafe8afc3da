using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Tests;

public sealed class MinuteBucketTests
{
    private static readonly NodeRef ProductPage = NodeRef.Service("default", "productpage");
    private static readonly NodeRef Reviews = NodeRef.Service("default", "reviews");
    private static readonly NodeRef Ratings = NodeRef.Service("default", "ratings");

    private readonly AggregationOptions _limits = new() { MaxEndpointsPerService = 3, MaxEdgesPerMinute = 2, MaxInstancesPerMinute = 4 };

    [Fact]
    public void Record_SameInternedEndpointPastTheCap_EveryRecordCountedAsOverflow()
    {
        // Arrange: the fast path hands the bucket one string instance per endpoint.
        var bucket = new MinuteBucket(_limits);
        for (var i = 0; i < 3; i++)
        {
            bucket.Record(Http(ProductPage, Reviews, ReporterSide.Server, endpoint: $"GET /reviews/{i}"));
        }

        var folded = "GET /reviews/9";

        // Act
        for (var i = 0; i < 3; i++)
        {
            bucket.Record(Http(ProductPage, Reviews, ReporterSide.Server, endpoint: folded));
        }

        // Assert
        var other = bucket.Endpoints[new EndpointKey(Reviews, TrafficProtocol.Http, MinuteBucket.OtherEndpoint)];
        Assert.Equal(3, other.Server!.Requests);
        Assert.Equal(3, bucket.TakeOverflow().Endpoints);
    }

    [Fact]
    public void Record_EqualKeysInDifferentStringInstances_OneEndpointAndOneInstance()
    {
        // Arrange: the reference path makes a new string for every entry.
        var bucket = new MinuteBucket(_limits);

        // Act
        for (var i = 0; i < 3; i++)
        {
            bucket.Record(Http(ProductPage, Reviews, ReporterSide.Server, endpoint: string.Concat("GET /", "a"), targetInstance: string.Concat("reviews-", "1")));
        }

        bucket.Record(Http(ProductPage, Reviews, ReporterSide.Client, endpoint: string.Concat("GET /", "a"), targetInstance: string.Concat("reviews-", "1")));

        // Assert
        var (key, stats) = Assert.Single(bucket.Endpoints);
        Assert.Equal("GET /a", key.Endpoint);
        Assert.Equal(3, stats.Server!.Requests);
        Assert.Equal(1, stats.Client!.Requests);
        var (instance, figures) = Assert.Single(bucket.Instances);
        Assert.Equal(new InstanceKey(Reviews, "reviews-1"), instance);
        Assert.Equal(3, figures.Inbound);
    }

    [Fact]
    public void Record_ClientAndServerOfSameCall_OneEdgeWithBothSides()
    {
        // Arrange
        var bucket = new MinuteBucket(_limits);

        // Act
        bucket.Record(Http(ProductPage, Reviews, ReporterSide.Client, latency: 12_000));
        bucket.Record(Http(ProductPage, Reviews, ReporterSide.Server, latency: 10_000));

        // Assert
        var (key, stats) = Assert.Single(bucket.Edges);
        Assert.Equal(new EdgeKey(ProductPage, Reviews, TrafficProtocol.Http), key);
        Assert.Equal(1, stats.Client?.Requests);
        Assert.Equal(1, stats.Server?.Requests);
        Assert.Same(stats.Server, stats.Preferred);
        Assert.Equal(12_000, stats.Client?.LatencySumMicros);
        Assert.Equal(10_000, stats.Server?.LatencySumMicros);
    }

    [Fact]
    public void Record_EndpointsBeyondCap_FoldIntoOtherAndCounted()
    {
        // Arrange
        var bucket = new MinuteBucket(_limits);

        // Act: five distinct endpoints of reviews (cap 3), the first one twice more.
        for (var i = 0; i < 5; i++)
        {
            bucket.Record(Http(ProductPage, Reviews, ReporterSide.Server, endpoint: $"GET /reviews/{i}"));
        }

        bucket.Record(Http(ProductPage, Reviews, ReporterSide.Server, endpoint: "GET /reviews/0"));
        bucket.Record(Http(ProductPage, Reviews, ReporterSide.Server, endpoint: "GET /reviews/0"));

        // Assert
        var endpoints = bucket.Endpoints.Where(p => p.Key.Service == Reviews).ToDictionary(p => p.Key.Endpoint, p => p.Value.Server!.Requests);
        Assert.Equal(4, endpoints.Count);
        Assert.Equal(3, endpoints["GET /reviews/0"]);
        Assert.Equal(1, endpoints["GET /reviews/1"]);
        Assert.Equal(1, endpoints["GET /reviews/2"]);
        Assert.Equal(2, endpoints[MinuteBucket.OtherEndpoint]);
        Assert.Equal(2, bucket.TakeOverflow().Endpoints);
    }

    [Fact]
    public void Record_EndpointCap_PerService()
    {
        // Arrange
        var bucket = new MinuteBucket(_limits);

        // Act
        for (var i = 0; i < 3; i++)
        {
            bucket.Record(Http(ProductPage, Reviews, ReporterSide.Server, endpoint: $"GET /reviews/{i}"));
            bucket.Record(Http(ProductPage, Ratings, ReporterSide.Server, endpoint: $"GET /ratings/{i}"));
        }

        // Assert
        Assert.Equal(6, bucket.Endpoints.Count);
        Assert.DoesNotContain(bucket.Endpoints.Keys, k => k.Endpoint == MinuteBucket.OtherEndpoint);
        Assert.Equal(0, bucket.TakeOverflow().Total);
    }

    [Fact]
    public void Record_EdgesBeyondCap_FoldIntoOverflowEdgeAndCounted()
    {
        // Arrange
        var bucket = new MinuteBucket(_limits);
        var a = NodeRef.Service("ns", "a");
        var b = NodeRef.Service("ns", "b");

        // Act: four distinct edges with a cap of two; the first edge again afterwards.
        bucket.Record(Http(ProductPage, Reviews, ReporterSide.Client));
        bucket.Record(Http(ProductPage, Ratings, ReporterSide.Client));
        bucket.Record(Http(a, b, ReporterSide.Client));
        bucket.Record(Http(b, a, ReporterSide.Server));
        bucket.Record(Http(ProductPage, Reviews, ReporterSide.Client));

        // Assert
        var overflowKey = new EdgeKey(NodeRef.Overflow, NodeRef.Overflow, TrafficProtocol.Http);
        Assert.Equal(3, bucket.Edges.Count);
        Assert.Equal(2, bucket.Edges[new EdgeKey(ProductPage, Reviews, TrafficProtocol.Http)].Client?.Requests);
        Assert.Equal(1, bucket.Edges[overflowKey].Client?.Requests);
        Assert.Equal(1, bucket.Edges[overflowKey].Server?.Requests);
        Assert.False(bucket.Edges.ContainsKey(new EdgeKey(a, b, TrafficProtocol.Http)));
        Assert.Equal(2, bucket.TakeOverflow().Edges);
        Assert.Equal(0, bucket.TakeOverflow().Edges);
    }

    [Fact]
    public void Record_InstancesBeyondCap_NotListedAndCounted()
    {
        // Arrange
        var bucket = new MinuteBucket(_limits);

        // Act: six serving pods, cap four; the edge still counts every call.
        for (var i = 0; i < 6; i++)
        {
            bucket.Record(Http(ProductPage, Reviews, ReporterSide.Server, targetInstance: $"reviews-{i}"));
        }

        // Assert
        Assert.Equal(4, bucket.Instances.Count);
        Assert.Equal(2, bucket.TakeOverflow().Instances);
        Assert.Equal(6, Assert.Single(bucket.Edges).Value.Server?.Requests);
    }

    [Fact]
    public void Record_ServerAndClientReports_InstanceInboundAndOutbound()
    {
        // Arrange
        var bucket = new MinuteBucket(_limits);

        // Act
        bucket.Record(Http(ProductPage, Reviews, ReporterSide.Server, sourceInstance: "pp-1", targetInstance: "rv-1", error: true));
        bucket.Record(Http(ProductPage, Reviews, ReporterSide.Server, sourceInstance: "pp-1", targetInstance: "rv-1"));
        bucket.Record(Http(ProductPage, Reviews, ReporterSide.Client, sourceInstance: "pp-1", targetInstance: "rv-1"));

        // Assert
        var reviews = bucket.Instances[new InstanceKey(Reviews, "rv-1")];
        Assert.Equal(2, reviews.Inbound);
        Assert.Equal(1, reviews.InboundErrors);
        Assert.Equal(0, reviews.Outbound);
        var productPage = bucket.Instances[new InstanceKey(ProductPage, "pp-1")];
        Assert.Equal(0, productPage.Inbound);
        Assert.Equal(1, productPage.Outbound);
    }

    [Fact]
    public void Record_TcpPeriodicAndFinal_InstanceCountsConnectionsNotEntries()
    {
        // Arrange
        var bucket = new MinuteBucket(_limits);
        var periodic = Http(ProductPage, Ratings, ReporterSide.Server, targetInstance: "rt-1", endpoint: string.Empty) with { Protocol = TrafficProtocol.Tcp, Connections = 0 };
        var final = periodic with { Connections = 1, BytesSent = 500 };

        // Act
        bucket.Record(periodic);
        bucket.Record(periodic);
        bucket.Record(final);

        // Assert
        Assert.Equal(1, bucket.Instances[new InstanceKey(Ratings, "rt-1")].Inbound);
        var stats = Assert.Single(bucket.Edges).Value.Server!;
        Assert.Equal(1, stats.Connections);
        Assert.Equal(0, stats.Requests);
        Assert.Equal(500, stats.BytesSent);
        Assert.Empty(bucket.Endpoints);
    }

    [Fact]
    public void Record_GatewayFlags_NodesRememberedAsGateways()
    {
        // Arrange
        var bucket = new MinuteBucket(_limits);
        var gateway = NodeRef.Service("istio-system", "istio-ingressgateway");

        // Act
        bucket.Record(Http(NodeRef.Unknown, gateway, ReporterSide.Server) with { TargetIsGateway = true, SourceIsGateway = true });
        bucket.Record(Http(gateway, ProductPage, ReporterSide.Client) with { SourceIsGateway = true });

        // Assert
        Assert.Equal([gateway], bucket.Gateways);
    }

    [Fact]
    public void Merge_TwoBuckets_SumsEverySide()
    {
        // Arrange
        var target = new MinuteBucket(_limits);
        var other = new MinuteBucket(_limits);
        target.Record(Http(ProductPage, Reviews, ReporterSide.Client, latency: 1_000));
        other.Record(Http(ProductPage, Reviews, ReporterSide.Client, latency: 3_000));
        other.Record(Http(ProductPage, Reviews, ReporterSide.Server, latency: 2_000));

        // Act
        target.Merge(other);

        // Assert
        var stats = Assert.Single(target.Edges).Value;
        Assert.Equal(2, stats.Client?.Requests);
        Assert.Equal(4_000, stats.Client?.LatencySumMicros);
        Assert.Equal(2, stats.Client?.Latency.Count);
        Assert.Equal(1, stats.Server?.Requests);
        Assert.Equal(3, target.Endpoints.Values.Sum(e => (e.Client?.Requests ?? 0) + (e.Server?.Requests ?? 0)));
    }

    [Fact]
    public void Merge_EdgesBeyondCapOfTarget_FoldIntoOverflowEdge()
    {
        // Arrange: the target is full (cap 2); the other bucket brings two new edges.
        var target = new MinuteBucket(_limits);
        target.Record(Http(ProductPage, Reviews, ReporterSide.Server));
        target.Record(Http(ProductPage, Ratings, ReporterSide.Server));
        var other = new MinuteBucket(_limits);
        var a = NodeRef.Service("ns", "a");
        var b = NodeRef.Service("ns", "b");
        other.Record(Http(a, b, ReporterSide.Server));
        other.Record(Http(a, b, ReporterSide.Server));
        other.Record(Http(b, a, ReporterSide.Server));

        // Act
        target.Merge(other);

        // Assert
        var overflowKey = new EdgeKey(NodeRef.Overflow, NodeRef.Overflow, TrafficProtocol.Http);
        Assert.Equal(3, target.Edges.Count);
        Assert.Equal(3, target.Edges[overflowKey].Server?.Requests);
        Assert.False(target.Edges.ContainsKey(new EdgeKey(a, b, TrafficProtocol.Http)));
    }

    [Fact]
    public void Merge_EndpointsBeyondCapOfTarget_FoldIntoOther()
    {
        // Arrange
        var target = new MinuteBucket(_limits);
        var other = new MinuteBucket(_limits);
        for (var i = 0; i < 3; i++)
        {
            target.Record(Http(ProductPage, Reviews, ReporterSide.Server, endpoint: $"GET /t/{i}"));
            other.Record(Http(ProductPage, Reviews, ReporterSide.Server, endpoint: $"GET /o/{i}"));
        }

        // Act
        target.Merge(other);

        // Assert
        var endpoints = target.Endpoints.Where(p => p.Key.Service == Reviews).ToDictionary(p => p.Key.Endpoint, p => p.Value.Server!.Requests);
        Assert.Equal(4, endpoints.Count);
        Assert.Equal(3, endpoints[MinuteBucket.OtherEndpoint]);
        Assert.Equal(6, endpoints.Values.Sum());
    }

    [Fact]
    public void Merge_OtherBucketOverflow_CarriedOverOnce()
    {
        // Arrange
        var target = new MinuteBucket(_limits);
        var other = new MinuteBucket(_limits);
        for (var i = 0; i < 5; i++)
        {
            other.Record(Http(ProductPage, Reviews, ReporterSide.Server, endpoint: $"GET /o/{i}"));
        }

        // Act
        target.Merge(other);

        // Assert
        Assert.Equal(2, target.TakeOverflow().Endpoints);
        Assert.Equal(0, other.TakeOverflow().Endpoints);
    }

    [Fact]
    public void Merge_Gateways_Unioned()
    {
        // Arrange
        var gateway = NodeRef.Service("istio-system", "istio-ingressgateway");
        var target = new MinuteBucket(_limits);
        var other = new MinuteBucket(_limits);
        other.Record(Http(gateway, ProductPage, ReporterSide.Client) with { SourceIsGateway = true });

        // Act
        target.Merge(other);

        // Assert
        Assert.Contains(gateway, target.Gateways);
    }

    [Fact]
    public void Merge_OneSidedEdgePastTheCap_CountsItsCallsAsOverflow()
    {
        // Arrange: a full target, and a bucket holding an edge only the client reported.
        var limits = new AggregationOptions { MaxEdgesPerMinute = 1 };
        var target = new MinuteBucket(limits);
        target.Record(Http(ProductPage, Reviews, ReporterSide.Server));
        var other = new MinuteBucket(limits);
        for (var i = 0; i < 5; i++)
        {
            other.Record(Http(Reviews, Ratings, ReporterSide.Client, endpoint: string.Empty));
        }

        // Act
        target.Merge(other);

        // Assert
        Assert.Equal(5, target.TakeOverflow().Edges);
    }

    [Fact]
    public void Aggregator_ShardOverflowMergedIntoFullMinute_IsCountedOnce()
    {
        // Arrange: one shard, cap of one edge: the second edge's two records fold in the shard.
        var aggregator = new Aggregator(new AggregationOptions { MaxEdgesPerMinute = 1 }, shardCount: 1);
        using (var lease = aggregator.Claim())
        {
            lease.Sink.Record(Http(ProductPage, Reviews, ReporterSide.Client));
            lease.Sink.Record(Http(ProductPage, Reviews, ReporterSide.Server));
            lease.Sink.Record(Http(Reviews, Ratings, ReporterSide.Client));
            lease.Sink.Record(Http(Reviews, Ratings, ReporterSide.Server));
        }

        // Act
        aggregator.Flush(0);

        // Assert
        Assert.Equal(2, aggregator.OverflowTotal.Edges);
    }

    private static SideRecord Http(
        NodeRef source,
        NodeRef target,
        ReporterSide reporter,
        string endpoint = "GET /",
        long latency = 5_000,
        string sourceInstance = "",
        string targetInstance = "",
        bool error = false) => new()
        {
            Minute = 1000,
            Reporter = reporter,
            Protocol = TrafficProtocol.Http,
            Source = source,
            Target = target,
            SourceInstance = sourceInstance,
            TargetInstance = targetInstance,
            Endpoint = endpoint,
            StatusCode = error ? 503 : 200,
            Error = error,
            LatencyMicros = latency,
        };
}
