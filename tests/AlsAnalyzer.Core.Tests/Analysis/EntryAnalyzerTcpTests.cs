using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Tests.Support;
using AlsAnalyzer.Testing;
using Envoy.Data.Accesslog.V3;
using static AlsAnalyzer.Core.Tests.Analysis.EntryAnalyzerArrange;

namespace AlsAnalyzer.Core.Tests.Analysis;

/// <summary>TCP entries: final, periodic and interleaved reports of a connection, counted once with only their new bytes.</summary>
public sealed class EntryAnalyzerTcpTests : EntryAnalyzerFixture
{
    [Fact]
    public void AnalyzeTcp_FinalOutbound_BytesAndOneConnectionAtEndMinute()
    {
        // Arrange: opened at 12:29:50, closed 20 s later in the next minute.
        var start = new DateTimeOffset(2025, 1, 15, 12, 29, 50, TimeSpan.Zero);
        var entry = Calls.TcpOutbound(Tcp() with { Start = start, Duration = TimeSpan.FromSeconds(20), SentBytes = 5000, ReceivedBytes = 700 });

        // Act
        Analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink, Connections);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(TrafficProtocol.Tcp, r.Protocol);
        Assert.Equal(ReporterSide.Client, r.Reporter);
        Assert.Equal(NodeRef.Service("default", "ratings"), r.Target);
        Assert.Equal(1, r.Connections);
        Assert.Equal(1, r.ConnectionsOpened);
        Assert.Equal(5000, r.BytesSent);
        Assert.Equal(700, r.BytesReceived);
        Assert.Equal(TestMesh.MinuteOf(start.AddSeconds(20)), r.Minute);
        Assert.NotEqual(TestMesh.MinuteOf(start), r.Minute);
        Assert.Equal(-1, r.LatencyMicros);
        Assert.Empty(r.Endpoint);
        Assert.False(r.Error);
    }

    [Fact]
    public void AnalyzeTcp_FinalEntryOfConnectionOpenedBeforeRetention_CountedAtItsEnd()
    {
        // Arrange: a three-hour connection closing now; its start is outside the 60-minute retention.
        var entry = Calls.TcpOutbound(Tcp() with { Start = TestMesh.Now.AddHours(-3), Duration = TimeSpan.FromHours(3) });

        // Act
        Analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink, Connections);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(TestMesh.MinuteOf(TestMesh.Now), r.Minute);
        Assert.Equal(1, r.Connections);
        Assert.Equal(0, Tally.RejectedTotal);
    }

    [Theory]
    [InlineData(AccessLogType.TcpPeriodic, false)]
    [InlineData(AccessLogType.TcpUpstreamConnected, false)]
    [InlineData(AccessLogType.NotSet, true)]
    public void AnalyzeTcp_FirstNonFinalEntry_NewBytesOpenedNotClosedAtLogMinute(AccessLogType type, bool intermediate)
    {
        // Arrange: logged 20 s after a start at 12:29:50, in the next minute.
        var start = new DateTimeOffset(2025, 1, 15, 12, 29, 50, TimeSpan.Zero);
        var entry = Calls.TcpOutbound(Tcp() with { Start = start, Duration = TimeSpan.FromSeconds(20), Type = type, SentBytes = 1200, ReceivedBytes = 80 });
        entry.CommonProperties.IntermediateLogEntry = intermediate;

        // Act
        Analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink, Connections);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(0, r.Connections);
        Assert.Equal(1, r.ConnectionsOpened);
        Assert.Equal(1200, r.BytesSent);
        Assert.Equal(80, r.BytesReceived);
        Assert.Equal(TestMesh.MinuteOf(start.AddSeconds(20)), r.Minute);
        Assert.Equal(NodeRef.Service("default", "ratings"), r.Target);
        Assert.Equal(1, Connections.Open);
        Assert.Equal(1, Tally.Analyzed);
    }

    [Fact]
    public void AnalyzeTcp_NotSetTypeWithoutIntermediateFlag_Final()
    {
        // Arrange: older Envoys log neither access_log_type nor intermediate_log_entry on the final entry.
        var entry = Calls.TcpOutbound(Tcp() with { Type = AccessLogType.NotSet });

        // Act
        Analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink, Connections);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(1, r.Connections);
        Assert.Equal(5000, r.BytesSent);
        Assert.Equal(0, Connections.Open);
    }

    [Fact]
    public void AnalyzeTcp_PeriodicEntriesThenFinal_EachAddsOnlyItsNewBytes()
    {
        // Arrange: cumulative counts 1000, 3000, then the final 5000 (and 100, 400, 700 back).
        var entries = new[]
        {
            Calls.TcpOutbound(Tcp() with { Type = AccessLogType.TcpPeriodic, SentBytes = 1000, ReceivedBytes = 100 }),
            Calls.TcpOutbound(Tcp() with { Type = AccessLogType.TcpPeriodic, SentBytes = 3000, ReceivedBytes = 400 }),
            Calls.TcpOutbound(Tcp() with { Type = AccessLogType.TcpConnectionEnd, SentBytes = 5000, ReceivedBytes = 700 }),
        };

        // Act
        foreach (var entry in entries)
        {
            Analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink, Connections);
        }

        // Assert
        Assert.Equal([1000L, 2000L, 2000L], Sink.Records.Select(r => r.BytesSent));
        Assert.Equal([100L, 300L, 300L], Sink.Records.Select(r => r.BytesReceived));
        Assert.Equal([1, 0, 0], Sink.Records.Select(r => r.ConnectionsOpened));
        Assert.Equal([0, 0, 1], Sink.Records.Select(r => r.Connections));
        Assert.Equal(0, Connections.Open);
    }

    [Fact]
    public void AnalyzeTcp_InterleavedConnectionsByStreamId_DeltasKeptApart()
    {
        // Arrange: two connections with the same peer and start, told apart by Envoy's stream id.
        TCPAccessLogEntry Entry(string streamId, ulong sent, AccessLogType type)
        {
            var e = Calls.TcpOutbound(Tcp() with { Type = type, SentBytes = sent });
            e.CommonProperties.StreamId = streamId;
            return e;
        }

        var entries = new[]
        {
            Entry("a", 100, AccessLogType.TcpPeriodic),
            Entry("b", 1000, AccessLogType.TcpPeriodic),
            Entry("a", 150, AccessLogType.TcpPeriodic),
            Entry("b", 1600, AccessLogType.TcpConnectionEnd),
            Entry("a", 400, AccessLogType.TcpConnectionEnd),
        };

        // Act
        foreach (var entry in entries)
        {
            Analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink, Connections);
        }

        // Assert
        Assert.Equal([100L, 1000L, 50L, 600L, 250L], Sink.Records.Select(r => r.BytesSent));
        Assert.Equal(2, Sink.Records.Sum(r => r.ConnectionsOpened));
        Assert.Equal(2, Sink.Records.Sum(r => r.Connections));
    }

    [Fact]
    public void AnalyzeTcp_PeriodicEntryOfConnectionOpenedBeforeRetention_CountedAtLogTime()
    {
        // Arrange: a database connection open for three hours reports periodically.
        var entry = Calls.TcpOutbound(Tcp() with { Start = TestMesh.Now.AddHours(-3), Duration = TimeSpan.FromHours(3), Type = AccessLogType.TcpPeriodic });

        // Act
        Analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink, Connections);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(TestMesh.MinuteOf(TestMesh.Now), r.Minute);
        Assert.Equal(5000, r.BytesSent);
        Assert.Equal(0, Tally.RejectedTotal);
    }

    [Fact]
    public void AnalyzeTcp_NothingIdentifiesTheConnection_OnlyFinalEntryCountsWithTotals()
    {
        // Arrange: no stream id and no downstream address to key the connection on.
        TCPAccessLogEntry Entry(ulong sent, AccessLogType type)
        {
            var e = Calls.TcpOutbound(Tcp() with { Type = type, SentBytes = sent });
            e.CommonProperties.DownstreamRemoteAddress = null;
            return e;
        }

        // Act
        Analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), Entry(1000, AccessLogType.TcpPeriodic), Clock, Tally, Sink, Connections);
        Analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), Entry(3000, AccessLogType.TcpConnectionEnd), Clock, Tally, Sink, Connections);

        // Assert
        Assert.Equal([0L, 3000L], Sink.Records.Select(r => r.BytesSent));
        Assert.Equal(1, Sink.Records.Sum(r => r.Connections));
        Assert.Equal(0, Connections.Open);
    }

    [Fact]
    public void AnalyzeTcp_Inbound_ServerRecordWithPeerAndMutualTls()
    {
        // Arrange
        var entry = Calls.TcpInbound(Tcp() with { Encoding = PeerEncoding.FlatNode });

        // Act
        Analyzer.AnalyzeTcp(Sidecar(TestMesh.Ratings), entry, Clock, Tally, Sink, Connections);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(ReporterSide.Server, r.Reporter);
        Assert.Equal(NodeRef.Service("default", "productpage"), r.Source);
        Assert.Equal(NodeRef.Service("default", "ratings"), r.Target);
        Assert.True(r.Mtls);
        Assert.Equal(1, r.Connections);
    }

    [Fact]
    public void AnalyzeTcp_FailureFlag_Error()
    {
        // Arrange
        var entry = Calls.TcpOutbound(Tcp());
        entry.CommonProperties.ResponseFlags = new ResponseFlags { UpstreamConnectionFailure = true };

        // Act
        Analyzer.AnalyzeTcp(Sidecar(TestMesh.ProductPage), entry, Clock, Tally, Sink, Connections);

        // Assert
        Assert.True(Assert.Single(Sink.Records).Error);
    }
}
