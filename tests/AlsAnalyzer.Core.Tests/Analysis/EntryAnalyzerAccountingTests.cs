using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Tests.Support;
using AlsAnalyzer.Testing;
using Envoy.Config.Core.V3;
using Envoy.Data.Accesslog.V3;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using TestPeers = AlsAnalyzer.Testing.Peers;
using static AlsAnalyzer.Core.Tests.Analysis.EntryAnalyzerArrange;

namespace AlsAnalyzer.Core.Tests.Analysis;

/// <summary>Entries rejected (missing properties, outside retention, future timestamps), bucketed by time, and every entry accounted for exactly once.</summary>
public sealed class EntryAnalyzerAccountingTests : EntryAnalyzerFixture
{
    [Fact]
    public void AnalyzeHttp_MissingCommonProperties_RejectedWithReason()
    {
        // Arrange
        var entry = new HTTPAccessLogEntry { Request = new HTTPRequestProperties { Path = "/" } };

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        Assert.Empty(Sink.Records);
        Assert.Equal(1, Tally.Received);
        Assert.Equal(1, Tally.Rejected[(int)RejectReason.MissingCommonProperties]);
        Assert.Equal(1, Tally.RejectedTotal);
    }

    [Fact]
    public void AnalyzeTcp_MissingCommonProperties_RejectedWithReason()
    {
        // Arrange
        var entry = new TCPAccessLogEntry { ConnectionProperties = new ConnectionProperties { SentBytes = 1 } };

        // Act
        Analyzer.AnalyzeTcp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink, Connections);

        // Assert
        Assert.Empty(Sink.Records);
        Assert.Equal(1, Tally.Rejected[(int)RejectReason.MissingCommonProperties]);
    }

    [Fact]
    public void AnalyzeHttp_StartBeforeRetention_RejectedOutsideRetention()
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Start = TestMesh.Now.AddHours(-2) });

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        Assert.Empty(Sink.Records);
        Assert.Equal(1, Tally.Rejected[(int)RejectReason.OutsideRetention]);
        Assert.Equal(0, Tally.Analyzed);
    }

    [Fact]
    public void AnalyzeHttp_RetentionBoundary_OldestMinuteKeptSecondBeforeRejected()
    {
        // Arrange: 60 minutes kept, the current one included, so the oldest starts at 11:31:00.
        var oldest = new DateTimeOffset(2025, 1, 15, 11, 31, 0, TimeSpan.Zero);
        var kept = Calls.Inbound(Call() with { Start = oldest });
        var dropped = Calls.Inbound(Call() with { Start = oldest.AddSeconds(-1) });

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), kept, Clock, Tally, Sink);
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), dropped, Clock, Tally, Sink);

        // Assert
        Assert.Equal(TestMesh.MinuteOf(oldest), Assert.Single(Sink.Records).Minute);
        Assert.Equal(1, Tally.Rejected[(int)RejectReason.OutsideRetention]);
    }

    [Fact]
    public void AnalyzeHttp_StartBeyondFutureSkew_RejectedFutureTimestamp()
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Start = TestMesh.Now.AddMinutes(10) });

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        Assert.Empty(Sink.Records);
        Assert.Equal(1, Tally.Rejected[(int)RejectReason.FutureTimestamp]);
    }

    [Fact]
    public void AnalyzeHttp_StartWithinFutureSkew_Accepted()
    {
        // Arrange: a client clock 4 minutes ahead of ours.
        var start = TestMesh.Now.AddMinutes(4);
        var entry = Calls.Inbound(Call() with { Start = start });

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        Assert.Equal(TestMesh.MinuteOf(start), Assert.Single(Sink.Records).Minute);
    }

    [Fact]
    public void AnalyzeHttp_NoStartTime_BucketedAtArrival()
    {
        // Arrange
        var entry = Calls.Inbound(Call());
        entry.CommonProperties.StartTime = null;

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        Assert.Equal(TestMesh.MinuteOf(TestMesh.Now), Assert.Single(Sink.Records).Minute);
    }

    // Each kind of entry and how it must be accounted: A analysed, U unattributed,
    // M/O/F rejected for missing common properties, outside retention, future timestamp.
    private static readonly string[] KindOutcomes = ["A", "A", "A", "U", "M", "O", "F", "A", "A", "U", "U", "M", "A", "A"];

    [Property(MaxTest = 100)]
    public Property Analyze_AnyMixOfEntries_EveryEntryAccountedForExactlyOnce()
    {
        var kinds = Gen.Choose(0, KindOutcomes.Length - 1).ArrayOf();
        return Prop.ForAll(kinds.ToArbitrary(), mix =>
        {
            // Arrange
            var tally = new IngestTally();
            var sink = new ListSink();
            var connections = new TcpConnectionTracker();

            // Act
            foreach (var kind in mix)
            {
                Feed(kind, tally, sink, connections);
            }

            // Assert
            var expected = mix.Select(k => KindOutcomes[k]).ToList();
            return tally.Received == mix.Length
                && tally.Received == tally.Analyzed + tally.Unattributed + tally.RejectedTotal
                && tally.Analyzed == expected.Count(o => o == "A")
                && tally.Unattributed == expected.Count(o => o == "U")
                && tally.Rejected[(int)RejectReason.MissingCommonProperties] == expected.Count(o => o == "M")
                && tally.Rejected[(int)RejectReason.OutsideRetention] == expected.Count(o => o == "O")
                && tally.Rejected[(int)RejectReason.FutureTimestamp] == expected.Count(o => o == "F")
                && tally.Rejected[(int)RejectReason.MissingIdentifier] == 0;
        });
    }

    private void Feed(int kind, IngestTally tally, ListSink sink, TcpConnectionTracker connections)
    {
        var reviews = Sidecar(TestMesh.ReviewsV1);
        var productPage = Sidecar(TestMesh.ProductPage);
        switch (kind)
        {
            case 0:
                Analyzer.AnalyzeHttp(reviews, Calls.Inbound(Call()), Clock, tally, sink);
                break;
            case 1:
                Analyzer.AnalyzeHttp(productPage, Calls.Outbound(Call()), Clock, tally, sink);
                break;
            case 2:
                Analyzer.AnalyzeHttp(productPage, Calls.Outbound(Call() with { Encoding = PeerEncoding.None }), Clock, tally, sink);
                break;
            case 3:
                Analyzer.AnalyzeHttp(StreamIdentityParser.Parse(Nodes.Router(TestMesh.IngressGateway), "als"), Calls.Gateway(Call()), Clock, tally, sink);
                break;
            case 4:
                Analyzer.AnalyzeHttp(reviews, new HTTPAccessLogEntry(), Clock, tally, sink);
                break;
            case 5:
                Analyzer.AnalyzeHttp(reviews, Calls.Inbound(Call() with { Start = TestMesh.Now.AddDays(-1) }), Clock, tally, sink);
                break;
            case 6:
                Analyzer.AnalyzeHttp(reviews, Calls.Inbound(Call() with { Start = TestMesh.Now.AddDays(1) }), Clock, tally, sink);
                break;
            case 7:
                Analyzer.AnalyzeTcp(productPage, Calls.TcpOutbound(Tcp()), Clock, tally, sink, connections);
                break;
            case 8:
                Analyzer.AnalyzeTcp(Sidecar(TestMesh.Ratings), Calls.TcpInbound(Tcp() with { Type = AccessLogType.TcpPeriodic }), Clock, tally, sink, connections);
                break;
            case 9:
                var passthrough = PassthroughEntry();
                passthrough.Request.Authority = string.Empty;
                passthrough.CommonProperties.UpstreamRemoteAddress = new Address { Pipe = new Pipe { Path = "/tmp/s" } };
                passthrough.CommonProperties.DownstreamLocalAddress = null;
                Analyzer.AnalyzeHttp(productPage, passthrough, Clock, tally, sink);
                break;
            case 10:
                Analyzer.AnalyzeHttp(reviews, Calls.Inbound(Call() with { Source = null }), Clock, tally, sink);
                break;
            case 11:
                Analyzer.AnalyzeTcp(productPage, new TCPAccessLogEntry(), Clock, tally, sink, connections);
                break;
            case 12:
                var broken = Calls.Outbound(Call() with { Encoding = PeerEncoding.None });
                broken.CommonProperties.FilterStateObjects["upstream_peer"] = new Any { TypeUrl = TestPeers.StructType, Value = ByteString.CopyFrom(0x0A, 0x05) };
                Analyzer.AnalyzeHttp(productPage, broken, Clock, tally, sink);
                break;
            default:
                Analyzer.AnalyzeTcp(productPage, Calls.TcpOutbound(Tcp() with { Start = TestMesh.Now.AddHours(-5), Duration = TimeSpan.FromHours(5) }), Clock, tally, sink, connections);
                break;
        }
    }
}
