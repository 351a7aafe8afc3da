using AlsAnalyzer.Testing;
using Envoy.Config.Core.V3;
using Envoy.Data.Accesslog.V3;
using Envoy.Service.Accesslog.V3;

namespace AlsAnalyzer.Server.Tests.Support;

/// <summary>Groups entries per reporting proxy and sends each proxy's entries on its own stream, as Envoy does.</summary>
internal sealed class StreamSender
{
    private readonly Dictionary<string, (Node Node, List<HTTPAccessLogEntry> Http, List<TCPAccessLogEntry> Tcp)> _byProxy = [];

    public int Entries { get; private set; }

    public void Http(Node reporter, HTTPAccessLogEntry entry)
    {
        Slot(reporter).Http.Add(entry);
        Entries++;
    }

    public void Tcp(Node reporter, TCPAccessLogEntry entry)
    {
        Slot(reporter).Tcp.Add(entry);
        Entries++;
    }

    /// <summary>
    /// One stream per proxy and protocol, concurrently; entries in messages of
    /// <paramref name="batch"/>, the identifier on the first message only.
    /// </summary>
    public async Task SendAsync(AlsClient client, int batch = 7)
    {
        var streams = new List<Task>();
        foreach (var (node, http, tcp) in _byProxy.Values)
        {
            if (http.Count > 0)
            {
                streams.Add(client.SendAsync(Batches(http, batch).Select((b, i) => Calls.HttpMessage(b, i == 0 ? node : null)), cancellationToken: TestContext.Current.CancellationToken));
            }

            if (tcp.Count > 0)
            {
                streams.Add(client.SendAsync(Batches(tcp, batch).Select((b, i) => Calls.TcpMessage(b, i == 0 ? node : null)), cancellationToken: TestContext.Current.CancellationToken));
            }
        }

        await Task.WhenAll(streams);
    }

    /// <summary>
    /// As a proxy with two worker threads behind a Service of several replicas: each proxy's
    /// entries alternate between two streams, and its two streams go to different
    /// <paramref name="clients"/> (so both sides of a call, and both halves of one proxy's log,
    /// are split across replicas).
    /// </summary>
    public async Task SendSplitAsync(IReadOnlyList<AlsClient> clients, int batch = 7)
    {
        var streams = new List<Task>();
        var proxy = 0;
        foreach (var (node, http, tcp) in _byProxy.Values)
        {
            for (var worker = 0; worker < 2; worker++)
            {
                var client = clients[(proxy + worker) % clients.Count];
                var w = worker;
                var httpPart = http.Where((_, i) => i % 2 == w).ToList();

                // A TCP connection lives on one worker: its periodic and final entries (added in pairs) stay together.
                var tcpPart = tcp.Where((_, i) => (i / 2) % 2 == w).ToList();
                if (httpPart.Count > 0)
                {
                    streams.Add(client.SendAsync(Batches(httpPart, batch).Select((b, i) => Calls.HttpMessage(b, i == 0 ? node : null)), cancellationToken: TestContext.Current.CancellationToken));
                }

                if (tcpPart.Count > 0)
                {
                    streams.Add(client.SendAsync(Batches(tcpPart, batch).Select((b, i) => Calls.TcpMessage(b, i == 0 ? node : null)), cancellationToken: TestContext.Current.CancellationToken));
                }
            }

            proxy++;
        }

        await Task.WhenAll(streams);
    }

    private static IEnumerable<List<T>> Batches<T>(List<T> items, int size)
    {
        for (var i = 0; i < items.Count; i += size)
        {
            yield return items.GetRange(i, Math.Min(size, items.Count - i));
        }
    }

    private (Node Node, List<HTTPAccessLogEntry> Http, List<TCPAccessLogEntry> Tcp) Slot(Node node)
    {
        if (!_byProxy.TryGetValue(node.Id, out var slot))
        {
            slot = (node, [], []);
            _byProxy.Add(node.Id, slot);
        }

        return slot;
    }
}
