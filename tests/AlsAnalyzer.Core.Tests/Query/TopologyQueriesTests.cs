using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Query;
using AlsAnalyzer.Core.Tests.Support;
using AlsAnalyzer.Testing;
using Envoy.Data.Accesslog.V3;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Tests.Query;

public sealed class TopologyQueriesTests
{
    private static readonly NodeRef ProductPage = NodeRef.Service("default", "productpage");
    private static readonly NodeRef Reviews = NodeRef.Service("default", "reviews");

    // Five minutes: 300 seconds.
    private static readonly QueryWindow Window = new(TestMesh.Now.AddMinutes(-5), TestMesh.Now);

    private readonly MinuteBucket _bucket;
    private readonly BucketSink _sink;
    private readonly EntryAnalyzer _analyzer = new(new AnalysisSettings());
    private readonly EntryClock _clock = new(TestMesh.Now, new AnalysisSettings());
    private readonly IngestTally _tally = new();

    public TopologyQueriesTests()
    {
        _bucket = new MinuteBucket(new AggregationOptions());
        _sink = new BucketSink(_bucket);
    }

    [Fact]
    public void Topology_CallReportedByClientAndServer_OneEdgeWithServerFiguresOnTop()
    {
        // Arrange: ten calls, two of them 503; the client sidecar measures 12 ms, the server 10 ms.
        for (var i = 0; i < 10; i++)
        {
            var call = Call(status: i < 2 ? 503u : 200u);
            _analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), Calls.Outbound(call with { Latency = TimeSpan.FromMilliseconds(12) }), _clock, _tally, _sink);
            _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), Calls.Inbound(call with { Latency = TimeSpan.FromMilliseconds(10) }), _clock, _tally, _sink);
        }

        // Act
        var topology = TopologyQueries.Topology(View(), Window, ns: null);

        // Assert
        var edge = Assert.Single(topology.Edges);
        Assert.Equal("default/productpage", edge.Source);
        Assert.Equal("default/reviews", edge.Target);
        Assert.Equal("http", edge.Protocol);
        Assert.Equal("server", edge.ReportedBy);
        Assert.Equal(10, edge.Requests);
        Assert.Equal(2, edge.Errors);
        Assert.Equal(8, edge.StatusCodes?["2xx"]);
        Assert.Equal(2, edge.StatusCodes?["5xx"]);
        Assert.Equal(10, edge.Client?.Requests);
        Assert.Equal(10, edge.Server?.Requests);
        Assert.Equal(edge.Server?.LatencyMs, edge.LatencyMs);
        Assert.InRange(edge.LatencyMs!.P50, 9.8, 10.2);
        Assert.InRange(edge.Client!.LatencyMs!.P50, 11.8, 12.2);
        Assert.Equal(1.0, edge.Mtls);
        Assert.Equal(1.0, edge.Server?.Mtls);
        Assert.Null(edge.Client.Mtls);
        Assert.Null(edge.Connections);
        Assert.Equal(["default/productpage", "default/reviews"], topology.Nodes.Select(n => n.Id));
        Assert.All(topology.Nodes, n => Assert.Equal("service", n.Kind));
        Assert.Equal(Window.From, topology.From);
        Assert.Equal(Window.To, topology.To);
    }

    [Fact]
    public void Topology_OnlyClientReported_TopLevelFromClient()
    {
        // Arrange: details runs without a sidecar, so only productpage reports the calls.
        for (var i = 0; i < 4; i++)
        {
            var call = Call() with { Destination = TestMesh.Details, Encoding = PeerEncoding.None, Latency = TimeSpan.FromMilliseconds(30) };
            _analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), Calls.Outbound(call), _clock, _tally, _sink);
        }

        // Act
        var topology = TopologyQueries.Topology(View(), Window, ns: null);

        // Assert
        var edge = Assert.Single(topology.Edges);
        Assert.Equal("backend/details", edge.Target);
        Assert.Equal("client", edge.ReportedBy);
        Assert.Equal(4, edge.Requests);
        Assert.Null(edge.Server);
        Assert.Equal(edge.Client?.LatencyMs, edge.LatencyMs);
        Assert.InRange(edge.LatencyMs!.P99, 29.5, 30.5);
        Assert.Null(edge.Mtls);
    }

    [Fact]
    public void Topology_Namespace_KeepsItsNodesAndDirectNeighbours()
    {
        // Arrange
        var ax = NodeRef.Service("a", "x");
        var ay = NodeRef.Service("a", "y");
        var bz = NodeRef.Service("b", "z");
        var cw = NodeRef.Service("c", "w");
        var cv = NodeRef.Service("c", "v");
        Record(ax, ay, ReporterSide.Server);
        Record(ay, bz, ReporterSide.Server);
        Record(bz, cw, ReporterSide.Server);
        Record(cw, cv, ReporterSide.Server);
        Record(cv, ax, ReporterSide.Client);

        // Act
        var topology = TopologyQueries.Topology(View(), Window, ns: "a");

        // Assert
        Assert.Equal(["a/x", "a/y", "b/z", "c/v"], topology.Nodes.Select(n => n.Id));
        Assert.Equal(
            [("a/x", "a/y"), ("a/y", "b/z"), ("c/v", "a/x")],
            topology.Edges.Select(e => (e.Source, e.Target)));
    }

    [Fact]
    public void Topology_NoNamespace_EverythingSortedBySourceTargetProtocol()
    {
        // Arrange
        Record(Reviews, NodeRef.Service("default", "ratings"), ReporterSide.Server);
        Record(ProductPage, Reviews, ReporterSide.Server, TrafficProtocol.Grpc);
        Record(ProductPage, Reviews, ReporterSide.Server);

        // Act
        var topology = TopologyQueries.Topology(View(), Window, ns: null);

        // Assert
        Assert.Equal(
            [("default/productpage", "default/reviews", "http"), ("default/productpage", "default/reviews", "grpc"), ("default/reviews", "default/ratings", "http")],
            topology.Edges.Select(e => (e.Source, e.Target, e.Protocol)));
    }

    [Fact]
    public void Topology_GatewayEntriesAndExternalCalls_NodeKinds()
    {
        // Arrange: the ingress gateway takes a call from outside the mesh to productpage,
        // which calls an external API through the PassthroughCluster.
        var gateway = StreamIdentityParser.Parse(Nodes.Router(TestMesh.IngressGateway), "als");
        _analyzer.AnalyzeHttp(gateway, Calls.Gateway(Call() with { Destination = TestMesh.ProductPage }), _clock, _tally, _sink);
        var external = Calls.Outbound(Call() with { Encoding = PeerEncoding.None });
        external.CommonProperties.UpstreamCluster = "PassthroughCluster";
        external.Request.Authority = "api.example.com:443";
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), external, _clock, _tally, _sink);

        // Act
        var topology = TopologyQueries.Topology(View(), Window, ns: null);

        // Assert
        var kinds = topology.Nodes.ToDictionary(n => n.Id, n => n.Kind);
        Assert.Equal("gateway", kinds["istio-system/istio-ingressgateway"]);
        Assert.Equal("service", kinds["default/productpage"]);
        Assert.Equal("unknown", kinds["unknown"]);
        Assert.Equal("external", kinds["external:api.example.com"]);
        Assert.Equal(4, kinds.Count);
        Assert.Contains(topology.Edges, e => e.Source == "unknown" && e.Target == "istio-system/istio-ingressgateway");
        Assert.Contains(topology.Edges, e => e.Source == "istio-system/istio-ingressgateway" && e.Target == "default/productpage");
    }

    [Fact]
    public void Topology_GatewaySeenOnlyAsPeer_GatewayKind()
    {
        // Arrange: productpage's sidecar reports a call from the ingress gateway (its peer labels say gateway).
        var call = Call() with { Source = TestMesh.IngressGateway, Destination = TestMesh.ProductPage };
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ProductPage), Calls.Inbound(call), _clock, _tally, _sink);

        // Act
        var topology = TopologyQueries.Topology(View(), Window, ns: null);

        // Assert
        Assert.Equal("gateway", topology.Nodes.Single(n => n.Id == "istio-system/istio-ingressgateway").Kind);
    }

    [Fact]
    public void Topology_TcpEdge_ConnectionsAndBytesWithoutRequestsOrLatency()
    {
        // Arrange: one connection, a periodic entry (cumulative 2000/300 bytes), then the final one.
        var tcp = new TcpCall { Source = TestMesh.ProductPage, Destination = TestMesh.Ratings, Start = TestMesh.Now.AddSeconds(-30), SentBytes = 5000, ReceivedBytes = 700 };
        var connections = new TcpConnectionTracker();
        var periodic = Calls.TcpOutbound(tcp with { Type = AccessLogType.TcpPeriodic, SentBytes = 2000, ReceivedBytes = 300 });
        _analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), periodic, _clock, _tally, _sink, connections);
        _analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), Calls.TcpOutbound(tcp), _clock, _tally, _sink, connections);

        // Act
        var topology = TopologyQueries.Topology(View(), Window, ns: null);

        // Assert
        var edge = Assert.Single(topology.Edges);
        Assert.Equal("tcp", edge.Protocol);
        Assert.Equal(1, edge.Connections);
        Assert.Equal(1, edge.ConnectionsOpened);
        Assert.Null(edge.Requests);
        Assert.Null(edge.LatencyMs);
        Assert.Null(edge.StatusCodes);
        Assert.Equal(5000, edge.BytesSent);
        Assert.Equal(700, edge.BytesReceived);
    }

    [Fact]
    public void Topology_ResponseFlags_CountedByShortName()
    {
        // Arrange
        Record(ProductPage, Reviews, ReporterSide.Server, flags: ResponseFlagSet.From(new ResponseFlags { UpstreamConnectionFailure = true }));
        Record(ProductPage, Reviews, ReporterSide.Server, flags: ResponseFlagSet.From(new ResponseFlags { UpstreamConnectionFailure = true, UpstreamRetryLimitExceeded = true }));
        Record(ProductPage, Reviews, ReporterSide.Server);

        // Act
        var edge = Assert.Single(TopologyQueries.Topology(View(), Window, ns: null).Edges);

        // Assert
        Assert.Equal(new Dictionary<string, long> { ["UF"] = 2, ["URX"] = 1 }, edge.ResponseFlags);
    }

    [Fact]
    public void Services_RequestsOverWindow_RateIsRequestsPerSecond()
    {
        // Arrange: 60 server-reported requests to reviews in 300 s, 6 of them errors.
        for (var i = 0; i < 60; i++)
        {
            Record(ProductPage, Reviews, ReporterSide.Server, error: i < 6, latency: 8_000);
            Record(ProductPage, Reviews, ReporterSide.Client, error: false, latency: 50_000);
        }

        // Act
        var services = TopologyQueries.Services(View(), Window, ns: null);

        // Assert
        Assert.Equal(["default/productpage", "default/reviews"], services.Services.Select(s => s.Id));
        var reviews = services.Services.Single(s => s.Name == "reviews");
        Assert.Equal(60, reviews.Requests);
        Assert.Equal(0.2, reviews.RequestRate);
        Assert.Equal(6, reviews.Errors);
        Assert.Equal(0.1, reviews.ErrorRate);
        Assert.Equal("service", reviews.Kind);
        Assert.Equal("default", reviews.Namespace);
        Assert.InRange(reviews.LatencyMs!.P50, 7.9, 8.1);
        Assert.Equal(8.0, reviews.LatencyMs.Avg);
        var productPage = services.Services.Single(s => s.Name == "productpage");
        Assert.Equal(0, productPage.Requests);
        Assert.Null(productPage.LatencyMs);
    }

    [Fact]
    public void Services_UnknownAndExternalNodes_NotListed()
    {
        // Arrange
        Record(NodeRef.Unknown, Reviews, ReporterSide.Server);
        Record(Reviews, NodeRef.External("api.example.com"), ReporterSide.Client);

        // Act
        var services = TopologyQueries.Services(View(), Window, ns: null);

        // Assert
        Assert.Equal(["default/reviews"], services.Services.Select(s => s.Id));
    }

    [Fact]
    public void Services_Namespace_OnlyThatNamespace()
    {
        // Arrange
        Record(ProductPage, NodeRef.Service("backend", "details"), ReporterSide.Server);

        // Act
        var services = TopologyQueries.Services(View(), Window, ns: "backend");

        // Assert
        Assert.Equal(["backend/details"], services.Services.Select(s => s.Id));
    }

    [Fact]
    public void Services_TcpService_ConnectionsCountedAsCalls()
    {
        // Arrange
        var ratings = NodeRef.Service("default", "ratings");
        Record(ProductPage, ratings, ReporterSide.Server, protocol: TrafficProtocol.Tcp, connections: 1, error: true);
        Record(ProductPage, ratings, ReporterSide.Server, protocol: TrafficProtocol.Tcp, connections: 1);
        Record(ProductPage, ratings, ReporterSide.Server, protocol: TrafficProtocol.Tcp, connections: 1);
        Record(ProductPage, ratings, ReporterSide.Server, protocol: TrafficProtocol.Tcp, connections: 1);

        // Act
        var summary = TopologyQueries.Services(View(), Window, ns: null).Services.Single(s => s.Name == "ratings");

        // Assert
        Assert.Equal(4, summary.Connections);
        Assert.Equal(0, summary.Requests);
        Assert.Equal(0.25, summary.ErrorRate);
    }

    [Fact]
    public void Service_Reviews_InstancesEndpointsAndEdges()
    {
        // Arrange
        for (var i = 0; i < 3; i++)
        {
            _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), Calls.Inbound(Call(path: "/reviews/all")), _clock, _tally, _sink);
        }

        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV2), Calls.Inbound(Call(path: "/reviews/by-user?u=2", status: 500) with { Destination = TestMesh.ReviewsV2 }), _clock, _tally, _sink);
        _analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV2), Calls.Outbound(Call(path: "/ratings/0") with { Source = TestMesh.ReviewsV2, Destination = TestMesh.Ratings }), _clock, _tally, _sink);

        // Act
        var detail = TopologyQueries.Service(View(), Window, "default", "reviews");

        // Assert
        Assert.NotNull(detail);
        Assert.Equal("default/reviews", detail.Service.Id);
        Assert.Equal(4, detail.Service.Requests);
        Assert.Equal(1, detail.Service.Errors);
        Assert.Equal(
            [new InstanceDto(TestMesh.ReviewsV1.Pod, 3, 0, 0), new InstanceDto(TestMesh.ReviewsV2.Pod, 1, 1, 1)],
            detail.Instances);
        Assert.Equal(["GET /reviews/all", "GET /reviews/by-user"], detail.Endpoints.Select(e => e.Endpoint));
        Assert.Equal([3L, 1L], detail.Endpoints.Select(e => e.Requests ?? -1));
        Assert.Equal("default/productpage", Assert.Single(detail.Inbound).Source);
        Assert.Equal("default/ratings", Assert.Single(detail.Outbound).Target);
    }

    [Fact]
    public void Service_NotSeenInWindow_Null()
    {
        // Arrange
        Record(ProductPage, Reviews, ReporterSide.Server);

        // Act
        var detail = TopologyQueries.Service(View(), Window, "default", "ratings");

        // Assert
        Assert.Null(detail);
    }

    [Fact]
    public void Fold_SeveralMinutes_SumsEveryMinute()
    {
        // Arrange
        var first = new MinuteBucket(new AggregationOptions());
        var second = new MinuteBucket(new AggregationOptions());
        first.Record(SideRecordOf(ProductPage, Reviews, ReporterSide.Server));
        second.Record(SideRecordOf(ProductPage, Reviews, ReporterSide.Server));
        second.Record(SideRecordOf(ProductPage, Reviews, ReporterSide.Client));

        // Act
        var view = WindowView.Fold([new(1, first), new(2, second)]);

        // Assert
        var stats = Assert.Single(view.Edges).Value;
        Assert.Equal(2, stats.Server?.Requests);
        Assert.Equal(1, stats.Client?.Requests);
    }

    private static StreamIdentity Sidecar(Workload w) => StreamIdentityParser.Parse(Nodes.Sidecar(w), "als");

    private static HttpCall Call(string path = "/reviews/0", uint status = 200) => new()
    {
        Source = TestMesh.ProductPage,
        Destination = TestMesh.ReviewsV1,
        Path = path,
        Status = status,
        Start = TestMesh.Now.AddSeconds(-10),
    };

    private static SideRecord SideRecordOf(
        NodeRef source,
        NodeRef target,
        ReporterSide reporter,
        TrafficProtocol protocol = TrafficProtocol.Http,
        bool error = false,
        long latency = 5_000,
        uint flags = 0,
        int connections = 0) => new()
        {
            Minute = TestMesh.MinuteOf(TestMesh.Now),
            Reporter = reporter,
            Protocol = protocol,
            Source = source,
            Target = target,
            SourceInstance = string.Empty,
            TargetInstance = string.Empty,
            Endpoint = protocol == TrafficProtocol.Tcp ? string.Empty : "GET /",
            StatusCode = error ? 503 : 200,
            Error = error,
            Flags = flags,
            LatencyMicros = protocol == TrafficProtocol.Tcp ? -1 : latency,
            Connections = connections,
        };

    private void Record(
        NodeRef source,
        NodeRef target,
        ReporterSide reporter,
        TrafficProtocol protocol = TrafficProtocol.Http,
        bool error = false,
        long latency = 5_000,
        uint flags = 0,
        int connections = 0) =>
        _bucket.Record(SideRecordOf(source, target, reporter, protocol, error, latency, flags, connections));

    private WindowView View() => WindowView.Fold([new(TestMesh.MinuteOf(TestMesh.Now), _bucket)]);
}
