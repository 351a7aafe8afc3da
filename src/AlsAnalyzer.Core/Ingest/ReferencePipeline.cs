using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Identity;
using Envoy.Service.Accesslog.V3;
using Google.Protobuf;

namespace AlsAnalyzer.Core.Ingest;

/// <summary>
/// The straightforward pipeline: parse the whole message into the generated objects, then
/// analyse each entry into an aggregation shard claimed for the message.
/// </summary>
internal sealed class ReferencePipeline(EntryAnalyzer analyzer, Aggregator aggregator, TimeProvider time) : IAccessLogPipeline
{
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

        if (message.Identifier is { } id)
        {
            stream.Identity = StreamIdentityParser.Parse(id.Node, id.LogName);
            stream.IdentityChanged = true;
        }

        var count = message.LogEntriesCase switch
        {
            StreamAccessLogsMessage.LogEntriesOneofCase.HttpLogs => message.HttpLogs.LogEntry.Count,
            StreamAccessLogsMessage.LogEntriesOneofCase.TcpLogs => message.TcpLogs.LogEntry.Count,
            _ => 0,
        };
        if (stream.Identity is not { } identity)
        {
            tally.Received += count;
            tally.Reject(RejectReason.MissingIdentifier, count);
            return new MessageResult(MessageStatus.MissingIdentifier, Entries: count);
        }

        var clock = new EntryClock(time.GetUtcNow(), analyzer.Settings);
        using (var lease = aggregator.Claim())
        {
            if (message.LogEntriesCase == StreamAccessLogsMessage.LogEntriesOneofCase.HttpLogs)
            {
                foreach (var entry in message.HttpLogs.LogEntry)
                {
                    analyzer.AnalyzeHttp(identity, entry, clock, tally, lease.Sink);
                }
            }
            else if (message.LogEntriesCase == StreamAccessLogsMessage.LogEntriesOneofCase.TcpLogs)
            {
                var connections = stream.Connections ??= new TcpConnectionTracker();
                foreach (var entry in message.TcpLogs.LogEntry)
                {
                    analyzer.AnalyzeTcp(identity, entry, clock, tally, lease.Sink, connections);
                }
            }
        }

        return new MessageResult(MessageStatus.Analyzed, Entries: count);
    }
}
