using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Tests.Support;
using AlsAnalyzer.Testing;
using Envoy.Config.Core.V3;
using Envoy.Data.Accesslog.V3;
using Google.Protobuf.WellKnownTypes;
using static AlsAnalyzer.Core.Tests.Analysis.EntryAnalyzerArrange;

namespace AlsAnalyzer.Core.Tests.Analysis;

/// <summary>What a record measures: endpoint, latency, status and errors, protocol, bytes.</summary>
public sealed class EntryAnalyzerMeasurementTests : EntryAnalyzerFixture
{
    [Theory]
    [InlineData(RequestMethod.Get, "/reviews/0?user=jason&x=1", "GET /reviews/{id}")]
    [InlineData(RequestMethod.Get, "/static/app.js#section", "GET /static/app.js")]
    [InlineData(RequestMethod.Post, "/api/v1/orders?dryRun=true", "POST /api/v1/orders")]
    [InlineData(RequestMethod.Delete, "/items/7", "DELETE /items/{id}")]
    [InlineData(RequestMethod.Patch, "/?", "PATCH /")]
    [InlineData(RequestMethod.MethodUnspecified, "/health", "- /health")]
    [InlineData(RequestMethod.Get, "", "")]
    public void AnalyzeHttp_RequestPath_EndpointIsMethodAndPathWithoutQuery(RequestMethod method, string path, string expected)
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Method = method, Path = path });

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        Assert.Equal(expected, Assert.Single(Sink.Records).Endpoint);
    }

    [Theory]
    [InlineData(2, 500_000_000, 2_500_000)]
    [InlineData(3, 0, 3_000_000)]
    [InlineData(0, 999_999, 999)]
    [InlineData(125, 1_000, 125_000_001)]
    public void AnalyzeHttp_TimeToLastDownstreamTxByte_LatencyIsWholeDurationInMicros(long seconds, int nanos, long expectedMicros)
    {
        // Arrange
        var entry = Calls.Inbound(Call());
        entry.CommonProperties.TimeToLastDownstreamTxByte = new Duration { Seconds = seconds, Nanos = nanos };
        entry.CommonProperties.Duration = new Duration { Seconds = 99 };

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        Assert.Equal(expectedMicros, Assert.Single(Sink.Records).LatencyMicros);
    }

    [Fact]
    public void AnalyzeHttp_NoTimeToLastDownstreamTxByte_LatencyFromDuration()
    {
        // Arrange
        var entry = Calls.Inbound(Call());
        entry.CommonProperties.TimeToLastDownstreamTxByte = null;
        entry.CommonProperties.Duration = new Duration { Seconds = 1, Nanos = 250_000_000 };

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        Assert.Equal(1_250_000, Assert.Single(Sink.Records).LatencyMicros);
    }

    [Fact]
    public void AnalyzeHttp_NoDurationsAtAll_LatencyMinusOne()
    {
        // Arrange
        var entry = Calls.Inbound(Call());
        entry.CommonProperties.TimeToLastDownstreamTxByte = null;
        entry.CommonProperties.Duration = null;

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        Assert.Equal(-1, Assert.Single(Sink.Records).LatencyMicros);
    }

    [Theory]
    [InlineData(200u, false)]
    [InlineData(204u, false)]
    [InlineData(302u, false)]
    [InlineData(404u, false)]
    [InlineData(499u, false)]
    [InlineData(500u, true)]
    [InlineData(503u, true)]
    [InlineData(0u, true)]
    public void AnalyzeHttp_ResponseCode_ErrorOnlyFor5xxAndNoResponse(uint status, bool expectedError)
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Status = status });

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal((int)status, r.StatusCode);
        Assert.Equal(expectedError, r.Error);
        Assert.Equal(0, Tally.InvalidStatusCodes);
    }

    [Theory]
    [InlineData(2_147_483_648u)]
    [InlineData(uint.MaxValue)]
    [InlineData(600u)]
    [InlineData(99u)]
    [InlineData(1u)]
    public void AnalyzeHttp_ResponseCodeThatIsNotAnHttpStatus_IsAnErrorInClass0AndCounted(uint status)
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Status = status });

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);
        var stats = new AlsAnalyzer.Core.Aggregation.SideStats();
        var r = Assert.Single(Sink.Records);
        stats.Add(r);

        // Assert: aggregated (the accounting holds), as an error, in class 0, and counted.
        Assert.True(r.Error);
        Assert.Equal(1, stats.StatusClasses[0]);
        Assert.Equal(1, Tally.InvalidStatusCodes);
        Assert.Equal(Tally.Received, Tally.Analyzed + Tally.Unattributed + Tally.RejectedTotal);
    }

    [Theory]
    [InlineData("upstream_connection_failure", true)]
    [InlineData("upstream_request_timeout", true)]
    [InlineData("downstream_connection_termination", true)]
    [InlineData("upstream_retry_limit_exceeded", true)]
    [InlineData("rate_limited", true)]
    [InlineData("delay_injected", false)]
    [InlineData("response_from_cache_filter", false)]
    public void AnalyzeHttp_ResponseFlagWith200_ErrorForFailureFlagsOnly(string flagField, bool expectedError)
    {
        // Arrange
        var flags = new ResponseFlags();
        ResponseFlags.Descriptor.FindFieldByName(flagField).Accessor.SetValue(flags, true);
        var entry = Calls.Inbound(Call() with { Flags = flags });

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(ResponseFlagSet.From(flags), r.Flags);
        Assert.NotEqual(0u, r.Flags);
        Assert.Equal(expectedError, r.Error);
    }

    [Theory]
    [InlineData("0", false)]
    [InlineData("14", true)]
    [InlineData("5", true)]
    public void AnalyzeHttp_GrpcStatusTrailer_ErrorWhenNonZero(string grpcStatus, bool expectedError)
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Grpc = true, Method = RequestMethod.Post, Path = "/reviews.Reviews/Get" });
        entry.Request.RequestHeaders["content-type"] = "application/grpc";
        entry.Response.ResponseTrailers["grpc-status"] = grpcStatus;

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(TrafficProtocol.Grpc, r.Protocol);
        Assert.Equal(200, r.StatusCode);
        Assert.Equal(expectedError, r.Error);
    }

    [Fact]
    public void AnalyzeHttp_Http2PostToGrpcPath_GrpcProtocol()
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Grpc = true, Method = RequestMethod.Post, Path = "/reviews.Reviews/Get" });

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(TrafficProtocol.Grpc, r.Protocol);
        Assert.Equal("POST /reviews.Reviews/Get", r.Endpoint);
    }

    [Fact]
    public void AnalyzeHttp_NoWireBytes_BytesFromHeadersAndBodies()
    {
        // Arrange: request headers 200 + body 100, response headers 150 + body 1000.
        var entry = Calls.Inbound(Call());

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(300, r.BytesSent);
        Assert.Equal(1150, r.BytesReceived);
    }

    [Fact]
    public void AnalyzeHttp_WireBytesPresent_WireBytesPreferred()
    {
        // Arrange
        var entry = Calls.Inbound(Call());
        entry.CommonProperties.DownstreamWireBytesReceived = 4096;
        entry.CommonProperties.DownstreamWireBytesSent = 8192;

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(4096, r.BytesSent);
        Assert.Equal(8192, r.BytesReceived);
    }
}
