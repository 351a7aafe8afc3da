using System.Buffers;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Decoding;
using Envoy.Service.Accesslog.V3;
using Google.Protobuf;
using F = AlsAnalyzer.Core.Decoding.WireFields;

namespace AlsAnalyzer.Core.Ingest;

/// <summary>
/// The shipped pipeline: reads each entry's fields straight from the payload bytes (no
/// generated object graph), with interned strings and cached peer metadata, then runs the
/// same analysis as <see cref="ReferencePipeline"/>. Two passes: every entry is decoded to
/// <see cref="EntryFacts"/> first, so a message that turns out malformed half way counts
/// nothing, as with the reference parser.
/// </summary>
internal sealed class AnalyzePipeline : IAccessLogPipeline
{
    private readonly EntryAnalyzer _analyzer;
    private readonly Aggregator _aggregator;
    private readonly TimeProvider _time;
    private readonly FastEntryDecoder _decoder;

    public AnalyzePipeline(EntryAnalyzer analyzer, Aggregator aggregator, TimeProvider time, DecodingOptions? limits = null)
    {
        limits ??= new DecodingOptions();
        _analyzer = analyzer;
        _aggregator = aggregator;
        _time = time;
        Strings = new InternTable(limits.MaxInternedStrings, limits.TableBytes(DecodeTableNames.Strings));
        Endpoints = new EndpointTable(limits.MaxInternedEndpoints, limits.Grouping(), limits.TableBytes(DecodeTableNames.Endpoints));
        Clusters = new ByteKeyTable<ParsedCluster>(
            limits.MaxInternedStrings,
            limits.TableBytes(DecodeTableNames.Clusters),
            DecodeLimits.MaxKeyBytes,
            static c => DecodeLimits.StringBytes(c.Name) + ClusterNameCache.ParsedClusterBytes(c));
        Peers = new PeerCache(limits.MaxCachedPeers, limits.TableBytes(DecodeTableNames.Peers), Strings);
        _decoder = new FastEntryDecoder(Strings, Endpoints, Clusters, Peers);
        Tables =
        [
            new(DecodeTableNames.Strings, Strings),
            new(DecodeTableNames.Endpoints, Endpoints),
            new(DecodeTableNames.EndpointPaths, Endpoints.Paths),
            new(DecodeTableNames.Clusters, Clusters),
            new(DecodeTableNames.Peers, Peers),
            new(DecodeTableNames.IpNames, analyzer.IpNames),
            new(DecodeTableNames.CertificateCallers, analyzer.CertificateCallers),
        ];
    }

    public IReadOnlyList<NamedTable> Tables { get; }

    public InternTable Strings { get; }

    public EndpointTable Endpoints { get; }

    /// <summary>Upstream cluster names, parsed.</summary>
    public ByteKeyTable<ParsedCluster> Clusters { get; }

    public PeerCache Peers { get; }

    public MessageResult Process(ReadOnlySpan<byte> payload, AccessLogStreamState stream, IngestTally tally)
    {
        var facts = ArrayPool<EntryFacts>.Shared.Rent(64);

        // Where each entry lies in the payload, for the rare entry that leaves a sample candidate.
        var spans = ArrayPool<Range>.Shared.Rent(64);
        var count = 0;
        try
        {
            ReadOnlySpan<byte> identifier = default;
            var hasIdentifier = false;
            var kind = 0;
            var r = new ProtoReader(payload);
            while (r.NextField(out var f, out var w))
            {
                if (f == F.StreamAccessLogsMessage.Identifier && w == F.WireLength)
                {
                    identifier = r.Bytes();
                    hasIdentifier = true;
                }
                else if (f is F.StreamAccessLogsMessage.HttpLogs or F.StreamAccessLogsMessage.TcpLogs && w == F.WireLength)
                {
                    // A oneof: a different member replaces the entries; the same one again appends (merge).
                    if (kind != f)
                    {
                        Array.Clear(facts, 0, count);
                        count = 0;
                        kind = f;
                    }

                    if (!DecodeEntries(payload, r.Bytes(), f == F.StreamAccessLogsMessage.HttpLogs, ref facts, ref spans, ref count))
                    {
                        return Malformed("an access log entry does not parse");
                    }
                }
                else
                {
                    r.Skip(w, f);
                }
            }

            if (r.Failed)
            {
                return Malformed("the message does not parse");
            }

            if (hasIdentifier)
            {
                StreamAccessLogsMessage.Types.Identifier id;
                try
                {
                    id = StreamAccessLogsMessage.Types.Identifier.Parser.ParseFrom(identifier);
                }
                catch (InvalidProtocolBufferException ex)
                {
                    return Malformed(ex.Message);
                }

                stream.Identify(id, Strings);
            }

            if (stream.Identity is not { } identity)
            {
                return AccessLogStreamState.RejectUnidentified(count, tally);
            }

            var clock = new EntryClock(_time.GetUtcNow(), _analyzer.Settings);
            // One claim per message: no lock, and no other writer or the collector to wait for.
            using (var lease = _aggregator.Claim())
            {
                if (kind == F.StreamAccessLogsMessage.HttpLogs)
                {
                    for (var i = 0; i < count; i++)
                    {
                        _analyzer.AnalyzeHttp(identity, ref facts[i], clock, tally, lease.Sink);
                        if (lease.Sink.PendingSample)
                        {
                            lease.Sink.AttachSample(payload[spans[i]]);
                        }
                    }
                }
                else if (kind == F.StreamAccessLogsMessage.TcpLogs)
                {
                    var connections = stream.Connections ??= new TcpConnectionTracker(budget: _analyzer.Settings.TcpConnections);
                    for (var i = 0; i < count; i++)
                    {
                        _analyzer.AnalyzeTcp(identity, ref facts[i], clock, tally, lease.Sink, connections);
                        if (lease.Sink.PendingSample)
                        {
                            lease.Sink.AttachSample(payload[spans[i]]);
                        }
                    }
                }
            }

            return new MessageResult(MessageStatus.Analyzed, Entries: count);
        }
        finally
        {
            // The facts hold strings and peers: clear them so the pooled array keeps nothing alive.
            Array.Clear(facts, 0, count);
            ArrayPool<EntryFacts>.Shared.Return(facts);
            ArrayPool<Range>.Shared.Return(spans);
        }
    }

    private static MessageResult Malformed(string error) => new(MessageStatus.Malformed, error);

    private bool DecodeEntries(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> list, bool http, ref EntryFacts[] facts, ref Range[] spans, ref int count)
    {
        var decodePeers = http ? _analyzer.DecodeHttpPeers : _analyzer.DecodeTcpPeers;
        var r = new ProtoReader(list);
        while (r.NextField(out var f, out var w))
        {
            if (f != F.StreamAccessLogsMessage.LogEntry || w != F.WireLength)
            {
                r.Skip(w, f);
                continue;
            }

            var entry = r.Bytes();
            if (r.Failed)
            {
                return false;
            }

            if (count == facts.Length)
            {
                var larger = ArrayPool<EntryFacts>.Shared.Rent(facts.Length * 2);
                Array.Copy(facts, larger, count);
                Array.Clear(facts, 0, count);
                ArrayPool<EntryFacts>.Shared.Return(facts);
                facts = larger;
                var largerSpans = ArrayPool<Range>.Shared.Rent(facts.Length);
                Array.Copy(spans, largerSpans, count);
                ArrayPool<Range>.Shared.Return(spans);
                spans = largerSpans;
            }

            payload.Overlaps(entry, out var offset);
            spans[count] = new Range(offset, offset + entry.Length);

            var ok = http ? _decoder.DecodeHttp(entry, decodePeers, out facts[count]) : _decoder.DecodeTcp(entry, decodePeers, out facts[count]);
            if (!ok)
            {
                return false;
            }

            count++;
        }

        return !r.Failed;
    }
}
