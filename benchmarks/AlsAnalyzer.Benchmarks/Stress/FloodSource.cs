using System.Globalization;
using AlsAnalyzer.Testing;
using Envoy.Config.Core.V3;
using Envoy.Data.Accesslog.V3;
using Envoy.Service.Accesslog.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace AlsAnalyzer.Benchmarks.Stress;

/// <summary>
/// Hostile traffic for one stream: every entry names random workloads, namespaces, pods, IPs,
/// paths and SPIFFE ids at a random time in the last hour; some paths are 8 KB; some messages
/// carry a crafted FlatNode (256 labels whose values all point at one 1 MB string).
/// </summary>
internal sealed class FloodSource(int seed, StressOptions options)
{
    private static readonly string LongTail = new('x', 8 * 1024);

    private readonly Random _random = new(seed);
    private readonly Workload _reporter = new("stress", "reporter", "v1", $"reporter-v1-{seed:x8}-abcde", "10.1.0." + (seed % 250));
    private long _messages;

    public Node ReporterNode => Nodes.Sidecar(_reporter);

    /// <summary>The stream's messages until <paramref name="stop"/> says so; the first carries the identifier.</summary>
    public IEnumerable<StreamAccessLogsMessage> Messages(Func<bool> stop, Action<int> sent)
    {
        var first = true;
        while (!stop())
        {
            var entries = new List<HTTPAccessLogEntry>(options.EntriesPerMessage);
            for (var i = 0; i < options.EntriesPerMessage; i++)
            {
                entries.Add(Entry());
            }

            if (options.CraftedPeerEvery > 0 && ++_messages % options.CraftedPeerEvery == 0)
            {
                entries[0].CommonProperties.FilterStateObjects["wasm.upstream_peer"] = CraftedFlatNode();
            }

            var message = Calls.HttpMessage(entries, first ? ReporterNode : null);
            first = false;
            sent(entries.Count);
            yield return message;
        }
    }

    private HTTPAccessLogEntry Entry()
    {
        var now = DateTimeOffset.UtcNow;
        var start = now.AddSeconds(-_random.Next(5, 3_590));
        var peer = RandomWorkload();
        var path = "/api/" + Hex(8) + "/items/" + _random.Next();
        if (_random.Next(options.LongPathEvery) == 0)
        {
            path += "/" + LongTail;
        }

        var call = new HttpCall
        {
            Source = _reporter,
            Destination = peer,
            Path = path,
            Start = start,
            Status = _random.Next(10) == 0 ? 503u : 200u,
            Latency = TimeSpan.FromMicroseconds(_random.Next(100, 2_000_000)),
        };
        switch (_random.Next(3))
        {
            case 0:
                return Calls.Outbound(call);
            case 1:
                return Calls.Outbound(call with { Encoding = PeerEncoding.None });
            default:
                // A caller from outside the mesh: a random IP and a random SPIFFE identity.
                var inbound = Calls.Inbound(call with
                {
                    Source = null,
                    Destination = _reporter,
                    ExternalCallerIp = RandomIp(),
                });
                inbound.CommonProperties.TlsProperties ??= new TLSProperties();
                inbound.CommonProperties.TlsProperties.PeerCertificateProperties = new TLSProperties.Types.CertificateProperties();
                inbound.CommonProperties.TlsProperties.PeerCertificateProperties.SubjectAltName.Add(
                    new TLSProperties.Types.CertificateProperties.Types.SubjectAltName { Uri = $"spiffe://cluster.local/ns/ns-{Hex(6)}/sa/sa-{Hex(6)}" });
                return inbound;
        }
    }

    private Workload RandomWorkload()
    {
        var app = "svc-" + Hex(6);
        return new Workload("ns-" + Hex(4), app, "v" + _random.Next(3), $"{app}-v1-{Hex(10)}-{Hex(5)}", RandomIp());
    }

    private string RandomIp() => string.Create(CultureInfo.InvariantCulture, $"10.{_random.Next(256)}.{_random.Next(256)}.{_random.Next(1, 255)}");

    private string Hex(int chars)
    {
        Span<char> s = stackalloc char[chars];
        for (var i = 0; i < chars; i++)
        {
            s[i] = "0123456789abcdef"[_random.Next(16)];
        }

        return new string(s);
    }

    /// <summary>A legacy-Istio FlatNode whose 256 labels all point at one 1 MB string; its pod differs per message so no cache absorbs it.</summary>
    private Any CraftedFlatNode() =>
        Peers.AsFlatNode(Peers.FlatNodeSharingOneString(new Workload("ns-" + Hex(4), "crafted", "v1", "crafted-" + Hex(12), RandomIp()), 256, 1024 * 1024));
}
