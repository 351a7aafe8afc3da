using Envoy.Data.Accesslog.V3;
using Envoy.Service.Accesslog.V3;
using Google.Protobuf;

namespace AlsAnalyzer.Benchmarks.Corpus;

/// <summary>
/// Generates a corpus deterministically: the same options give the same bytes. Both kinds
/// carry the same traffic (the same random choices); <see cref="CorpusKind.K8sPlain"/> only
/// leaves out the filter-state peer metadata.
/// </summary>
internal static class CorpusGenerator
{
    /// <summary>Reporters are spread over the mesh with this stride (coprime with the pod count).</summary>
    private const int ReporterStride = 61;

    public static AccessLogCorpus Generate(CorpusOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Streams, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MessagesPerStream, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.EntriesPerMessage, 1);
        var mesh = Mesh.Create(options.Seed);
        var streams = new List<CorpusStream>(options.Streams);
        for (var s = 0; s < options.Streams; s++)
        {
            streams.Add(GenerateStream(options, mesh, s));
        }

        return new AccessLogCorpus { Options = options, Mesh = mesh, Streams = streams };
    }

    /// <summary>The reporter of stream <paramref name="index"/>.</summary>
    public static MeshPod Reporter(Mesh mesh, int index) => mesh.Pods[(int)(((long)index * ReporterStride + 7) % mesh.Pods.Count)];

    /// <summary>
    /// A stream's first message only (identifier and <paramref name="entries"/> entries): what
    /// an idle sidecar sends before holding its stream open.
    /// </summary>
    public static CorpusMessage IdentifierMessage(CorpusOptions options, Mesh mesh, int index, int entries)
    {
        var reporter = Reporter(mesh, index);
        var random = new Random(unchecked((options.Seed * 31) + index));
        var message = new StreamAccessLogsMessage
        {
            Identifier = new StreamAccessLogsMessage.Types.Identifier { Node = IstioMetadata.SidecarNode(reporter), LogName = "envoy_accesslog_service" },
            HttpLogs = new StreamAccessLogsMessage.Types.HTTPAccessLogEntries(),
        };
        for (var e = 0; e < entries; e++)
        {
            message.HttpLogs.LogEntry.Add(EntryFactory.Create(random, mesh, reporter, options.Start.AddMilliseconds(e * 10), options.Kind == CorpusKind.IstioMx));
        }

        return new CorpusMessage(message.ToByteArray(), entries, HasIdentifier: true);
    }

    private static CorpusStream GenerateStream(CorpusOptions options, Mesh mesh, int index)
    {
        var reporter = Reporter(mesh, index);

        // One generator per stream, independent of the kind, so both corpora carry the same calls.
        var random = new Random(unchecked((options.Seed * 7919) + index));
        var total = options.MessagesPerStream * options.EntriesPerMessage;
        var stepMicros = options.SpanSeconds * 1_000_000.0 / total;
        var messages = new List<CorpusMessage>(options.MessagesPerStream);
        var n = 0;
        for (var m = 0; m < options.MessagesPerStream; m++)
        {
            var message = new StreamAccessLogsMessage { HttpLogs = new StreamAccessLogsMessage.Types.HTTPAccessLogEntries() };
            if (m == 0)
            {
                message.Identifier = new StreamAccessLogsMessage.Types.Identifier
                {
                    Node = IstioMetadata.SidecarNode(reporter),
                    LogName = "envoy_accesslog_service",
                };
            }

            for (var e = 0; e < options.EntriesPerMessage; e++, n++)
            {
                var start = options.Start.AddTicks((long)(n * stepMicros * 10) + random.Next(10_000));
                HTTPAccessLogEntry entry = EntryFactory.Create(random, mesh, reporter, start, options.Kind == CorpusKind.IstioMx);
                message.HttpLogs.LogEntry.Add(entry);
            }

            messages.Add(new CorpusMessage(message.ToByteArray(), options.EntriesPerMessage, HasIdentifier: m == 0));
        }

        return new CorpusStream { Reporter = reporter, Messages = messages };
    }
}
