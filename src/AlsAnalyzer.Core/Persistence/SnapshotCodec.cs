using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Persistence.Format;

namespace AlsAnalyzer.Core.Persistence;

/// <summary>
/// The minute ring to snapshot sections and back: every figure the queries read (edges,
/// endpoints, instances, gateways, each side's counts, status classes, latency histogram and
/// response flags) and the overflow counts. One section per minute, so writing never holds
/// more than a minute's messages.
/// </summary>
internal static class SnapshotCodec
{
    public static void Write(
        SnapshotFile.SectionWriter writer,
        IReadOnlyList<KeyValuePair<long, MinuteBucket>> minutes,
        in OverflowCounts overflow,
        DateTimeOffset now,
        Retention retention)
    {
        writer.Write(new Section { Info = new Info { WrittenUnixMs = now.ToUnixTimeMilliseconds(), RetentionMinutes = retention.Minutes } });
        foreach (var (minute, bucket) in minutes)
        {
            writer.Write(new Section { Minute = ToMessage(minute, bucket) });
        }

        writer.Write(new Section { Overflow = new Overflow { Edges = overflow.Edges, Endpoints = overflow.Endpoints, Instances = overflow.Instances } });
    }

    /// <summary>
    /// Rebuilds the minutes of a verified payload; throws <see cref="SnapshotFormatException"/>
    /// if a value is out of range. Node names and endpoint strings are shared across minutes.
    /// </summary>
    public static Restored Read(IEnumerable<Section> sections, AggregationOptions limits)
    {
        var restored = new Restored();
        var nodes = new Dictionary<(int, string, string), NodeRef>();
        var strings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var section in sections)
        {
            switch (section.BodyCase)
            {
                case Section.BodyOneofCase.Info:
                    restored.WrittenAt = DateTimeOffset.FromUnixTimeMilliseconds(section.Info.WrittenUnixMs);
                    break;
                case Section.BodyOneofCase.Minute:
                    restored.Minutes.Add(new(section.Minute.UnixMinute, FromMessage(section.Minute, limits, nodes, strings)));
                    break;
                case Section.BodyOneofCase.Proxy:
                    restored.Proxies.Add(ProxyCodec.FromMessage(section.Proxy));
                    break;
                case Section.BodyOneofCase.Overflow:
                    restored.Overflow = new OverflowCounts { Edges = section.Overflow.Edges, Endpoints = section.Overflow.Endpoints, Instances = section.Overflow.Instances };
                    break;
                default:
                    // A table a later version added: skipped, as documented in snapshot.proto.
                    restored.SkippedSections++;
                    break;
            }
        }

        return restored;
    }

    private static Minute ToMessage(long minute, MinuteBucket bucket)
    {
        var message = new Minute { UnixMinute = minute };
        var index = new Dictionary<NodeRef, uint>();
        uint Node(NodeRef node)
        {
            if (!index.TryGetValue(node, out var i))
            {
                i = (uint)message.Nodes.Count;
                index.Add(node, i);
                message.Nodes.Add(new Format.Node { Kind = (int)node.Kind, Namespace = node.Namespace, Name = node.Name });
            }

            return i;
        }

        foreach (var (key, stats) in bucket.Edges)
        {
            message.Edges.Add(new Edge { Source = Node(key.Source), Target = Node(key.Target), Protocol = (int)key.Protocol, Client = ToMessage(stats.Client), Server = ToMessage(stats.Server) });
        }

        foreach (var (key, stats) in bucket.Endpoints)
        {
            message.Endpoints.Add(new Endpoint { Service = Node(key.Service), Protocol = (int)key.Protocol, Name = key.Endpoint, Client = ToMessage(stats.Client), Server = ToMessage(stats.Server) });
        }

        foreach (var (key, stats) in bucket.Instances)
        {
            message.Instances.Add(new Instance { Service = Node(key.Service), Pod = key.Instance, Inbound = stats.Inbound, InboundErrors = stats.InboundErrors, Outbound = stats.Outbound });
        }

        foreach (var gateway in bucket.Gateways)
        {
            message.Gateways.Add(Node(gateway));
        }

        return message;
    }

    private static Side? ToMessage(SideStats? s)
    {
        if (s is null)
        {
            return null;
        }

        var side = new Side
        {
            Requests = s.Requests,
            Errors = s.Errors,
            LatencySumMicros = s.LatencySumMicros,
            BytesSent = s.BytesSent,
            BytesReceived = s.BytesReceived,
            TlsKnown = s.TlsKnown,
            Mtls = s.Mtls,
            Connections = s.Connections,
            ConnectionsOpened = s.ConnectionsOpened,
            Blocked = s.Blocked,
            Passthrough = s.Passthrough,
        };
        for (var i = 0; i < SideStats.StatusClassNames.Length; i++)
        {
            side.StatusClasses.Add(s.StatusClasses[i]);
        }

        for (var i = 0; i < s.Latency.BucketCount; i++)
        {
            var (index, count) = s.Latency.BucketAt(i);
            side.LatencyIndex.Add((uint)index);
            side.LatencyCount.Add(count);
        }

        if (s.FlagCounts is not null)
        {
            side.FlagCounts.Add(s.FlagCounts);
        }

        return side;
    }

    private static MinuteBucket FromMessage(Minute message, AggregationOptions limits, Dictionary<(int, string, string), NodeRef> nodes, Dictionary<string, string> strings)
    {
        var refs = new NodeRef[message.Nodes.Count];
        for (var i = 0; i < refs.Length; i++)
        {
            var n = message.Nodes[i];
            if (n.Kind is < 0 or > (int)NodeKind.External)
            {
                throw new SnapshotFormatException($"minute {message.UnixMinute}: node kind {n.Kind} is unknown");
            }

            if (!nodes.TryGetValue((n.Kind, n.Namespace, n.Name), out var node))
            {
                node = new NodeRef((NodeKind)n.Kind, Shared(strings, n.Namespace), Shared(strings, n.Name));
                nodes.Add((n.Kind, n.Namespace, n.Name), node);
            }

            refs[i] = node;
        }

        NodeRef Node(uint index) => index < refs.Length ? refs[index] : throw new SnapshotFormatException($"minute {message.UnixMinute}: node {index} of {refs.Length}");

        TrafficProtocol Protocol(int value) => value is >= 0 and <= (int)TrafficProtocol.Tcp
            ? (TrafficProtocol)value
            : throw new SnapshotFormatException($"minute {message.UnixMinute}: protocol {value} is unknown");

        var bucket = new MinuteBucket(limits);
        foreach (var e in message.Edges)
        {
            bucket.Edges[new EdgeKey(Node(e.Source), Node(e.Target), Protocol(e.Protocol))] = FromMessage(e.Client, e.Server);
        }

        foreach (var e in message.Endpoints)
        {
            bucket.Endpoints[new EndpointKey(Node(e.Service), Protocol(e.Protocol), Shared(strings, e.Name))] = FromMessage(e.Client, e.Server);
        }

        foreach (var i in message.Instances)
        {
            bucket.Instances[new InstanceKey(Node(i.Service), Shared(strings, i.Pod))] = new InstanceStats { Inbound = i.Inbound, InboundErrors = i.InboundErrors, Outbound = i.Outbound };
        }

        foreach (var g in message.Gateways)
        {
            bucket.Gateways.Add(Node(g));
        }

        return bucket;
    }

    private static EdgeStats FromMessage(Side? client, Side? server) => new() { Client = FromMessage(client), Server = FromMessage(server) };

    private static SideStats? FromMessage(Side? side)
    {
        if (side is null)
        {
            return null;
        }

        var s = new SideStats
        {
            Requests = side.Requests,
            Errors = side.Errors,
            LatencySumMicros = side.LatencySumMicros,
            BytesSent = side.BytesSent,
            BytesReceived = side.BytesReceived,
            TlsKnown = side.TlsKnown,
            Mtls = side.Mtls,
            Connections = side.Connections,
            ConnectionsOpened = side.ConnectionsOpened,
            Blocked = side.Blocked,
            Passthrough = side.Passthrough,
        };
        for (var i = 0; i < Math.Min(side.StatusClasses.Count, SideStats.StatusClassNames.Length); i++)
        {
            s.StatusClasses[i] = side.StatusClasses[i];
        }

        if (side.LatencyIndex.Count != side.LatencyCount.Count)
        {
            throw new SnapshotFormatException($"a latency histogram has {side.LatencyIndex.Count} indexes and {side.LatencyCount.Count} counts");
        }

        for (var i = 0; i < side.LatencyIndex.Count; i++)
        {
            var (index, count) = (side.LatencyIndex[i], side.LatencyCount[i]);
            if (index > ushort.MaxValue || count is <= 0 or >= 1L << 48)
            {
                throw new SnapshotFormatException($"a latency bucket ({index}, {count}) is out of range");
            }

            s.Latency.Add(LatencyHistogram.LowerBound((int)index), count);
        }

        if (side.FlagCounts.Count > 0)
        {
            s.FlagCounts = new long[ResponseFlagSet.Count];
            for (var i = 0; i < Math.Min(side.FlagCounts.Count, ResponseFlagSet.Count); i++)
            {
                s.FlagCounts[i] = side.FlagCounts[i];
            }
        }

        return s;
    }

    private static string Shared(Dictionary<string, string> strings, string value)
    {
        if (!strings.TryGetValue(value, out var shared))
        {
            strings.Add(value, value);
            shared = value;
        }

        return shared;
    }

    /// <summary>What a snapshot held.</summary>
    internal sealed class Restored
    {
        public DateTimeOffset? WrittenAt { get; set; }

        public List<KeyValuePair<long, MinuteBucket>> Minutes { get; } = [];

        public OverflowCounts Overflow { get; set; }

        /// <summary>The metrics service's proxies (none in snapshots written before they were kept).</summary>
        public List<Metrics.ProxyState> Proxies { get; } = [];

        public int SkippedSections { get; set; }
    }
}
