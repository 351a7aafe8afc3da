using AlsAnalyzer.Core.IstioMetrics;
using AlsAnalyzer.Core.IstioMetrics.RemoteWrite;
using AlsAnalyzer.Server.IstioMetrics;
using Google.Protobuf;

namespace AlsAnalyzer.Server.Tests.IstioMetrics;

/// <summary>
/// <see cref="RemoteWriteEncoder"/>'s bodies against the same snapshot built through
/// Google.Protobuf's object model (<see cref="RemoteWriteRequests.Build"/>): decompressed and
/// parsed, the batches hold exactly its time series in order, and in one batch its very bytes.
/// </summary>
public sealed class RemoteWriteEncoderTests
{
    private const long Timestamp = 1_764_927_000_123;

    [Fact]
    public void Encode_OneBatch_SameBytesAsTheProtobufObjectModel()
    {
        // Arrange
        var snapshot = Snapshot(12);
        var reference = RemoteWriteRequests.Build(snapshot, Timestamp, "als-0", out var samples);

        // Act
        var bodies = new RemoteWriteEncoder().Encode(snapshot, Timestamp, "als-0", maxSamples: 1_000_000);

        // Assert
        var (body, count) = Assert.Single(bodies);
        Assert.Equal(samples, count);
        Assert.Equal(reference.ToByteArray(), Snappier.Snappy.DecompressToArray(body));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(67)]
    [InlineData(100)]
    [InlineData(1_000)]
    public void Encode_SmallBatches_EveryTimeSeriesOnceInOrderAndEachBatchWithinTheCap(int maxSamples)
    {
        // Arrange
        var snapshot = Snapshot(30);
        var reference = RemoteWriteRequests.Build(snapshot, Timestamp, "replica-b", out var samples);
        var encoder = new RemoteWriteEncoder();

        // Act: twice with one encoder, whose buffers carry over.
        _ = encoder.Encode(Snapshot(3), Timestamp - 15_000, "replica-b", maxSamples);
        var bodies = encoder.Encode(snapshot, Timestamp, "replica-b", maxSamples);

        // Assert
        var requests = bodies.Select(b => WriteRequest.Parser.ParseFrom(Snappier.Snappy.DecompressToArray(b.Body))).ToList();
        Assert.Equal((samples + maxSamples - 1) / maxSamples, bodies.Count);
        Assert.All(bodies, b => Assert.InRange(b.Samples, 1, maxSamples));
        Assert.Equal(bodies.Select(b => b.Samples), requests.Select(r => r.Timeseries.Count));
        Assert.Equal(reference.Timeseries, requests.SelectMany(r => r.Timeseries));
        Assert.All(requests, r => Assert.Equal(reference.Metadata, r.Metadata));
    }

    [Fact]
    public void Encode_LabelValuesOutsideAscii_AndZeroCounts_RoundTrip()
    {
        // Arrange: multi-byte UTF-8, quotes and a long value (a two-byte length prefix), all counts 0.
        var values = Values(1, 2, "200");
        values[IstioNames.SourcePrincipal] = "spiffe://cluster.local/ns/bücher/sa/\"ß\"";
        values[IstioNames.DestinationService] = new string('x', 300) + ".svc.cluster.local";
        values[IstioNames.GrpcStatus] = string.Empty;
        List<(IstioSeries, IstioCounts)> snapshot = [(new IstioSeries(values, tcp: false, Timestamp, held: false), new IstioCounts())];
        var reference = RemoteWriteRequests.Build(snapshot, Timestamp, "ünïcode", out _);

        // Act
        var bodies = new RemoteWriteEncoder().Encode(snapshot, Timestamp, "ünïcode", maxSamples: 10_000);

        // Assert
        Assert.Equal(reference.ToByteArray(), Snappier.Snappy.DecompressToArray(Assert.Single(bodies).Body));
    }

    [Fact]
    public void Encode_EmptySnapshot_NoRequest()
    {
        // Act
        var bodies = new RemoteWriteEncoder().Encode([], Timestamp, "als-0", maxSamples: 100);

        // Assert
        Assert.Empty(bodies);
    }

    private static List<(IstioSeries, IstioCounts)> Snapshot(int labelSets)
    {
        var list = new List<(IstioSeries, IstioCounts)>();
        for (var i = 0; i < labelSets; i++)
        {
            var tcp = i % 5 == 4;
            var values = Values(i, i + 1, tcp ? string.Empty : (i % 3 == 0 ? "503" : "200"));
            var c = new IstioCounts
            {
                Requests = 10 + i,
                DurationMicrosSum = 12_345 * (i + 1),
                RequestBytesSum = 100 * i,
                ResponseBytesSum = 1_000 * i,
                TcpSentBytes = tcp ? 4_096 * i : 0,
                TcpReceivedBytes = tcp ? 512 * i : 0,
                TcpOpened = tcp ? i : 0,
                TcpClosed = tcp ? i / 2 : 0,
            };
            c.Buckets[IstioCounts.DurationOffset + (i % IstioNames.Buckets)] = 10 + i;
            c.Buckets[IstioCounts.RequestBytesOffset + 3] = 7;
            c.Buckets[IstioCounts.ResponseBytesOffset + 9] = 3 + i;
            list.Add((new IstioSeries(values, tcp, Timestamp, held: false), c));
        }

        return list;
    }

    private static string[] Values(int source, int destination, string code)
    {
        var v = new string[IstioNames.Labels.Length];
        Array.Fill(v, IstioNames.Unknown);
        v[IstioNames.Reporter] = source % 2 == 0 ? "source" : "destination";
        v[IstioNames.SourceWorkload] = $"svc{source}-v1";
        v[IstioNames.SourceNamespace] = $"ns{source % 3}";
        v[IstioNames.SourceCanonical] = $"svc{source}";
        v[IstioNames.DestinationWorkload] = $"svc{destination}-v1";
        v[IstioNames.DestinationNamespace] = $"ns{destination % 3}";
        v[IstioNames.DestinationService] = $"svc{destination}.ns{destination % 3}.svc.cluster.local";
        v[IstioNames.Protocol] = "http";
        v[IstioNames.ResponseCode] = code;
        v[IstioNames.ResponseFlags] = "-";
        return v;
    }
}
