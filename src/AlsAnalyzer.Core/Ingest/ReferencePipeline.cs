using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Decoding;
using Envoy.Service.Accesslog.V3;
using Google.Protobuf;

namespace AlsAnalyzer.Core.Ingest;

/// <summary>
/// The straightforward pipeline: parse the whole message into the generated objects, then
/// analyse each entry into an aggregation shard claimed for the message.
/// </summary>
internal sealed class ReferencePipeline(EntryAnalyzer analyzer, Aggregator aggregator, TimeProvider time, DecodingOptions? limits = null) : IAccessLogPipeline
{
    private readonly EndpointGrouping _grouping = (limits ??= new DecodingOptions()).Grouping();

    /// <summary>Upstream cluster names, parsed once each.</summary>
    public ClusterNameCache Clusters { get; } = new(limits.MaxInternedStrings, limits.TableBytes(DecodeTableNames.Clusters));

    public IReadOnlyList<NamedTable> Tables => [new(DecodeTableNames.Clusters, Clusters), new(DecodeTableNames.IpNames, analyzer.IpNames), new(DecodeTableNames.CertificateCallers, analyzer.CertificateCallers)];

    public MessageResult Process(ReadOnlySpan<byte> payload, AccessLogStreamState stream, IngestTally tally)
    {
        StreamAccessLogsMessage message;
        try
        {
            message = StreamAccessLogsMessage.Parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            return new MessageResult(MessageStatus.Malformed, ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            // Google.Protobuf 3.36 throws this for a wrapper field truncated at the payload's end.
            return new MessageResult(MessageStatus.Malformed, ex.Message);
        }

        if (message.Identifier is { } id)
        {
            stream.Identify(id);
        }

        var count = message.LogEntriesCase switch
        {
            StreamAccessLogsMessage.LogEntriesOneofCase.HttpLogs => message.HttpLogs.LogEntry.Count,
            StreamAccessLogsMessage.LogEntriesOneofCase.TcpLogs => message.TcpLogs.LogEntry.Count,
            _ => 0,
        };
        if (stream.Identity is not { } identity)
        {
            return AccessLogStreamState.RejectUnidentified(count, tally);
        }

        var clock = new EntryClock(time.GetUtcNow(), analyzer.Settings);
        using (var lease = aggregator.Claim())
        {
            if (message.LogEntriesCase == StreamAccessLogsMessage.LogEntriesOneofCase.HttpLogs)
            {
                foreach (var entry in message.HttpLogs.LogEntry)
                {
                    var facts = ReferenceFacts.Http(entry, analyzer.DecodeHttpPeers, Clusters, _grouping);
                    analyzer.AnalyzeHttp(identity, ref facts, clock, tally, lease.Sink);
                    if (lease.Sink.PendingSample)
                    {
                        lease.Sink.AttachSample(entry.ToByteArray());
                    }
                }
            }
            else if (message.LogEntriesCase == StreamAccessLogsMessage.LogEntriesOneofCase.TcpLogs)
            {
                var connections = stream.Connections ??= new TcpConnectionTracker(budget: analyzer.Settings.TcpConnections);
                foreach (var entry in message.TcpLogs.LogEntry)
                {
                    var facts = ReferenceFacts.Tcp(entry, analyzer.DecodeTcpPeers, Clusters);
                    analyzer.AnalyzeTcp(identity, ref facts, clock, tally, lease.Sink, connections);
                    if (lease.Sink.PendingSample)
                    {
                        lease.Sink.AttachSample(entry.ToByteArray());
                    }
                }
            }
        }

        return new MessageResult(MessageStatus.Analyzed, Entries: count);
    }
}
