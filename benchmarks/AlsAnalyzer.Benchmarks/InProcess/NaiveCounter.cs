using System.Runtime.InteropServices;
using Envoy.Data.Accesslog.V3;
using Envoy.Service.Accesslog.V3;
using Google.Protobuf.WellKnownTypes;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// The straightforward baseline: parse each message into the generated objects, name both
/// ends of each call (peer Struct from filter state, else the pod IP, else the cluster's
/// fqdn), and count requests per <c>"src->dst"</c> string in one Dictionary behind one global
/// lock taken per entry.
/// </summary>
internal sealed class NaiveCounter(IReadOnlyDictionary<string, string> servicesByIp)
{
    private readonly Lock _sync = new();
    private readonly Dictionary<string, long> _requests = new(StringComparer.Ordinal);

    public long Total
    {
        get
        {
            lock (_sync)
            {
                return _requests.Values.Sum();
            }
        }
    }

    public int Process(ReadOnlySpan<byte> payload, NaiveStreamState stream)
    {
        var message = StreamAccessLogsMessage.Parser.ParseFrom(payload);
        if (message.Identifier?.Node is { } node)
        {
            var metadata = node.Metadata;
            var labels = metadata?.Fields.TryGetValue("LABELS", out var l) == true ? l.StructValue : null;
            stream.Reporter = Field(metadata, "NAMESPACE") + "/" + Field(labels, "app");
        }

        if (message.LogEntriesCase != StreamAccessLogsMessage.LogEntriesOneofCase.HttpLogs)
        {
            return 0;
        }

        foreach (var entry in message.HttpLogs.LogEntry)
        {
            var common = entry.CommonProperties;
            string source, destination;
            if (common.UpstreamCluster.StartsWith("inbound|", StringComparison.Ordinal))
            {
                destination = stream.Reporter;
                source = Peer(common, "downstream_peer") ?? ByIp(common.DownstreamDirectRemoteAddress ?? common.DownstreamRemoteAddress) ?? "unknown";
            }
            else
            {
                source = stream.Reporter;
                destination = Peer(common, "upstream_peer") ?? ByIp(common.UpstreamRemoteAddress) ?? FromCluster(common.UpstreamCluster);
            }

            var key = source + "->" + destination;
            lock (_sync)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(_requests, key, out _)++;
            }
        }

        return message.HttpLogs.LogEntry.Count;
    }

    private static string? Peer(AccessLogCommon common, string key)
    {
        if (!common.FilterStateObjects.TryGetValue(key, out var any) || !any.Is(Struct.Descriptor))
        {
            return null;
        }

        var peer = any.Unpack<Struct>();
        return Field(peer, "namespace") + "/" + Field(peer, "service");
    }

    private string? ByIp(Envoy.Config.Core.V3.Address? address) =>
        address?.SocketAddress is { } socket && servicesByIp.TryGetValue(socket.Address, out var service) ? service : null;

    private static string FromCluster(string cluster)
    {
        // outbound|9080||svc1.ns1.svc.cluster.local
        var parts = cluster.Split('|');
        var host = parts.Length == 4 ? parts[3].Split('.') : [];
        return host.Length >= 2 ? host[1] + "/" + host[0] : "unknown";
    }

    private static string Field(Struct? s, string key) =>
        s is not null && s.Fields.TryGetValue(key, out var v) ? v.StringValue : string.Empty;
}
