using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text.Json;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Persistence;
using AlsAnalyzer.Core.Persistence.Format;
using AlsAnalyzer.Core.Query;
using Google.Protobuf;

namespace AlsAnalyzer.Core.Tests.Persistence;

/// <summary>
/// The snapshot file: what the queries read survives a round trip, and a file that is cut
/// short, damaged, of another version or not ours is refused with the reason, never half used.
/// </summary>
public sealed class SnapshotFileTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 7, 30, 0, TimeSpan.Zero);
    private static readonly long NowMinute = Now.ToUnixTimeSeconds() / 60;
    private static readonly Retention Retention = new(60);
    private static readonly QueryWindow Hour = new(Now.AddMinutes(-60), Now.AddMinutes(1));

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("als-snapshot-");

    private string SnapshotPath => Path.Combine(_dir.FullName, SnapshotFile.FileName);

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void RoundTrip_EveryFigureTheQueriesRead_IsEqualAfterRestore()
    {
        var before = Filled(new AggregationOptions());
        var bytes = Write(before, SnapshotPath);

        var after = new Aggregator(new AggregationOptions());
        var restored = Restore(after, SnapshotPath, new AggregationOptions());

        Assert.Equal(new FileInfo(SnapshotPath).Length, bytes);
        Assert.Equal(5, restored);
        Assert.Equal(Answers(before), Answers(after));
        Assert.Equal(before.OverflowTotal.Total, after.OverflowTotal.Total);

        // The restored ring writes the same bytes: nothing was lost or reordered.
        var again = Path.Combine(_dir.FullName, "again");
        Write(after, again);
        Assert.Equal(File.ReadAllBytes(SnapshotPath), File.ReadAllBytes(again));
    }

    [Fact]
    public void Write_CollectorMergesIntoTheSameMinutesMeanwhile_SnapshotIsTheRingAsTheWriteBegan()
    {
        var before = Filled(new AggregationOptions());
        string? answersAtStart = null;
        var collectorDone = false;

        // The snapshot is serialised while the collector merges a second copy of the traffic
        // into the very minutes being written.
        SnapshotFile.Write(SnapshotPath, writer => before.Read(NowMinute - 60, long.MinValue, long.MaxValue, ring =>
        {
            answersAtStart = AnswersOf(ring);
            var overflow = before.OverflowTotal;
            var collector = new Thread(() => Fill(before));
            collector.Start();
            collectorDone = collector.Join(TimeSpan.FromSeconds(30));
            SnapshotCodec.Write(writer, ring, overflow, Now, Retention);
            return 0;
        }));

        var after = new Aggregator(new AggregationOptions());
        Restore(after, SnapshotPath, new AggregationOptions());

        Assert.True(collectorDone, "the collector waited for the snapshot");
        Assert.Equal(answersAtStart, Answers(after));

        // The merged copy is in the ring now, and in the next snapshot.
        Assert.NotEqual(answersAtStart, Answers(before));
        Write(before, SnapshotPath);
        var again = new Aggregator(new AggregationOptions());
        Restore(again, SnapshotPath, new AggregationOptions());
        Assert.Equal(Answers(before), Answers(again));
    }

    [Fact]
    public void Restore_MinutesOlderThanTheRetention_AreDropped()
    {
        var before = Filled(new AggregationOptions());
        Write(before, SnapshotPath);

        var after = new Aggregator(new AggregationOptions());
        var restored = Restore(after, SnapshotPath, new AggregationOptions(), oldestMinute: NowMinute - 1);

        Assert.Equal(2, restored);
        Assert.Equal(2, after.SeriesCounts().Minutes);
    }

    [Fact]
    public void Restore_SmallerCapsThanWhenWritten_FoldsIntoOverflowAndCountsIt()
    {
        Write(Filled(new AggregationOptions()), SnapshotPath);
        var small = new AggregationOptions { MaxEdgesPerMinute = 1 };

        var after = new Aggregator(small);
        Restore(after, SnapshotPath, small);

        // Per minute: the one edge the cap allows, and an overflow edge per protocol at most.
        Assert.True(after.OverflowTotal.Edges > 0);
        Assert.InRange(after.SeriesCounts().Edges, 5, 5 * (1 + 3));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(SnapshotFile.HeaderBytes)]
    [InlineData(-1)]
    public void Truncated_IsRefusedAsCutShort(int keep)
    {
        Write(Filled(new AggregationOptions()), SnapshotPath);
        var whole = File.ReadAllBytes(SnapshotPath);
        File.WriteAllBytes(SnapshotPath, whole[..(keep < 0 ? whole.Length - 7 : keep)]);

        var ex = Assert.Throws<SnapshotFormatException>(() => SnapshotFile.OpenVerified(SnapshotPath, out _).Dispose());

        Assert.Matches("shorter than the 32-byte header|cut short", ex.Message);
    }

    [Fact]
    public void FlippedByte_IsRefusedByTheChecksum()
    {
        Write(Filled(new AggregationOptions()), SnapshotPath);
        var bytes = File.ReadAllBytes(SnapshotPath);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(SnapshotPath, bytes);

        var ex = Assert.Throws<SnapshotFormatException>(() => SnapshotFile.OpenVerified(SnapshotPath, out _).Dispose());

        Assert.Contains("checksum", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OtherVersion_IsRefusedNamingBothVersions()
    {
        Write(Filled(new AggregationOptions()), SnapshotPath);
        var bytes = File.ReadAllBytes(SnapshotPath);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), SnapshotFile.Version + 1);
        File.WriteAllBytes(SnapshotPath, bytes);

        var ex = Assert.Throws<SnapshotFormatException>(() => SnapshotFile.OpenVerified(SnapshotPath, out _).Dispose());

        Assert.Equal($"format version {SnapshotFile.Version + 1}; this build reads version {SnapshotFile.Version}", ex.Message);
    }

    [Fact]
    public void NotASnapshot_IsRefusedByTheMagic()
    {
        File.WriteAllText(SnapshotPath, "{\"this\": \"is some other file, long enough to hold a header\"}");

        var ex = Assert.Throws<SnapshotFormatException>(() => SnapshotFile.OpenVerified(SnapshotPath, out _).Dispose());

        Assert.Contains("wrong magic", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidChecksumOverGarbage_IsRefusedWhenASectionDoesNotParse()
    {
        WriteRaw(SnapshotPath, [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);

        var ex = Assert.Throws<SnapshotFormatException>(() => Read(SnapshotPath, new AggregationOptions()));

        Assert.Contains("does not parse", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NodeIndexOutOfRange_IsRefused()
    {
        var minute = new Minute { UnixMinute = NowMinute };
        minute.Nodes.Add(new Node { Kind = 0, Namespace = "default", Name = "a" });
        minute.Edges.Add(new Edge { Source = 0, Target = 7 });
        WriteRaw(SnapshotPath, Delimited(new Section { Minute = minute }));

        var ex = Assert.Throws<SnapshotFormatException>(() => Read(SnapshotPath, new AggregationOptions()));

        Assert.Contains("node 7 of 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SectionOfAnUnknownKind_IsSkippedAndTheRestRestored()
    {
        var before = Filled(new AggregationOptions());
        Write(before, Path.Combine(_dir.FullName, "known"));
        using var known = SnapshotFile.OpenVerified(Path.Combine(_dir.FullName, "known"), out var length);
        var payload = new byte[length];
        known.ReadExactly(payload);

        // A later version's table: field 40 of Section, unknown to this build.
        var unknown = new MemoryStream();
        var output = new CodedOutputStream(unknown);
        output.WriteTag(40, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFromUtf8("a table added later"));
        output.Flush();
        var section = unknown.ToArray();
        WriteRaw(SnapshotPath, [.. Varint(section.Length), .. section, .. payload]);

        var restored = Read(SnapshotPath, new AggregationOptions());

        Assert.Equal(1, restored.SkippedSections);
        Assert.Equal(5, restored.Minutes.Count);
    }

    [Fact]
    public void WriteThatFailsMidway_LeavesThePreviousSnapshotWholeAndNoTemporaryFile()
    {
        var before = Filled(new AggregationOptions());
        Write(before, SnapshotPath);
        var previous = File.ReadAllBytes(SnapshotPath);

        Assert.Throws<IOException>(() => SnapshotFile.Write(SnapshotPath, writer =>
        {
            writer.Write(new Section { Info = new Info { WrittenUnixMs = 1 } });
            throw new IOException("disk full");
        }));

        Assert.Equal(previous, File.ReadAllBytes(SnapshotPath));
        Assert.Equal([SnapshotFile.FileName], _dir.GetFiles().Select(f => f.Name));
    }

    [Fact]
    public void UnwritableFolder_ThrowsAndLeavesNothing()
    {
        var file = Path.Combine(_dir.FullName, "a-file");
        File.WriteAllText(file, "not a folder");

        Assert.ThrowsAny<IOException>(() => Write(Filled(new AggregationOptions()), Path.Combine(file, SnapshotFile.FileName)));
    }

    /// <summary>Five minutes of varied traffic: HTTP, gRPC and TCP, both sides, errors, flags, TLS, instances, gateways, external and SPIFFE-only nodes.</summary>
    private static Aggregator Filled(AggregationOptions options) => Fill(new Aggregator(options, shardCount: 2));

    private static Aggregator Fill(Aggregator aggregator)
    {
        var random = new Random(12);
        NodeRef[] nodes =
        [
            NodeRef.Service("default", "productpage"),
            NodeRef.Service("default", "reviews"),
            NodeRef.Service("istio-system", "istio-ingressgateway"),
            NodeRef.External("api.example.com"),
            NodeRef.ServiceAccount("default", "legacy"),
            NodeRef.Unknown,
        ];
        for (var i = 0; i < 2_000; i++)
        {
            var protocol = (TrafficProtocol)random.Next(3);
            var source = nodes[random.Next(nodes.Length)];
            var target = nodes[random.Next(4)];
            var record = new SideRecord
            {
                Minute = NowMinute - random.Next(5),
                Reporter = random.Next(2) == 0 ? ReporterSide.Client : ReporterSide.Server,
                Protocol = protocol,
                Source = source,
                Target = target,
                SourceInstance = $"{source.Name}-pod-{random.Next(3)}",
                TargetInstance = $"{target.Name}-pod-{random.Next(3)}",
                SourceIsGateway = source.Name == "istio-ingressgateway",
                Endpoint = protocol == TrafficProtocol.Tcp ? string.Empty : $"GET /api/{random.Next(8)}",
                StatusCode = protocol == TrafficProtocol.Tcp ? 0 : new[] { 0, 200, 201, 302, 404, 503 }[random.Next(6)],
                Flags = random.Next(4) == 0 ? 1u << random.Next(28) : 0,
                Error = random.Next(5) == 0,
                LatencyMicros = random.Next(10) == 0 ? -1 : (long)Math.Exp(random.NextDouble() * 18),
                BytesSent = random.Next(100_000),
                BytesReceived = random.Next(100_000),
                TlsKnown = random.Next(2) == 0,
                Mtls = random.Next(2) == 0,
                Connections = protocol == TrafficProtocol.Tcp ? random.Next(2) : 0,
                ConnectionsOpened = protocol == TrafficProtocol.Tcp ? random.Next(2) : 0,
                Blocked = random.Next(20) == 0,
                Passthrough = random.Next(20) == 0,
            };
            using var lease = aggregator.Claim();
            lease.Sink.Record(record);
        }

        aggregator.Flush(NowMinute - 60);
        return aggregator;
    }

    /// <summary>What the API answers from the ring: topology, services and each service's detail, as JSON.</summary>
    private static string Answers(Aggregator aggregator) => aggregator.Read(NowMinute - 60, Hour.FromMinute, Hour.ToMinute, AnswersOf);

    private static string AnswersOf(IReadOnlyList<KeyValuePair<long, MinuteBucket>> minutes)
    {
        var view = WindowView.Fold(minutes);
        var services = TopologyQueries.Services(view, Hour, ns: null);
        var details = view.Edges.Keys.Select(k => k.Target).Distinct().OrderBy(n => n.Id, StringComparer.Ordinal).Select(n => TopologyQueries.Service(view, Hour, n.Namespace, n.Name));
        return JsonSerializer.Serialize(new object?[] { TopologyQueries.Topology(view, Hour, ns: null), services, details.ToList() });
    }

    private static long Write(Aggregator aggregator, string path)
    {
        var overflow = aggregator.OverflowTotal;
        return SnapshotFile.Write(path, writer => aggregator.Read(NowMinute - 60, long.MinValue, long.MaxValue, ring =>
        {
            SnapshotCodec.Write(writer, ring, overflow, Now, Retention);
            return 0;
        }));
    }

    private static SnapshotCodec.Restored Read(string path, AggregationOptions options)
    {
        using var file = SnapshotFile.OpenVerified(path, out var length);
        return SnapshotCodec.Read(SnapshotFile.ReadSections(file, length), options);
    }

    private static int Restore(Aggregator aggregator, string path, AggregationOptions options, long? oldestMinute = null)
    {
        var restored = Read(path, options);
        return aggregator.Restore(oldestMinute ?? NowMinute - 60, restored.Minutes, restored.Overflow);
    }

    private static byte[] Delimited(Section section)
    {
        var stream = new MemoryStream();
        section.WriteDelimitedTo(stream);
        return stream.ToArray();
    }

    private static byte[] Varint(int value)
    {
        var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteLength(value);
        output.Flush();
        return stream.ToArray();
    }

    /// <summary>A file with a correct header (magic, version, length, hash) around <paramref name="payload"/>.</summary>
    private static void WriteRaw(string path, byte[] payload)
    {
        var header = new byte[SnapshotFile.HeaderBytes];
        "ALSSNAP\0"u8.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), SnapshotFile.Version);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), SnapshotFile.HeaderBytes);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), payload.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(24), XxHash64.HashToUInt64(payload));
        File.WriteAllBytes(path, [.. header, .. payload]);
    }
}
