using System.Globalization;
using System.Text;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.IstioMetrics;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Query;
using AlsAnalyzer.Server.IstioMetrics;

namespace AlsAnalyzer.Server.StoreQueries;

/// <summary>
/// Reads a window's edges from the store with a fixed, small set of PromQL instant queries run
/// in parallel (nine, the service list included), each aggregated by the store:
/// <c>increase()</c> over the window, summed by the labels that name an edge side - so across
/// replicas, pods and workload versions. Latency percentiles of edges and services are computed
/// here from one query's duration buckets (<see cref="BucketQuantile"/>). HTTP and gRPC edges
/// are read from the compact <c>als_edge_*</c> series (<see cref="EdgeSeries"/>), TCP edges from
/// the Istio series. Nodes are named back as the memory store names them: the canonical
/// service in its namespace, else the destination service the cluster named, else the caller's
/// SPIFFE identity, else <c>unknown</c>.
/// </summary>
internal sealed class StoreReader(PrometheusClient client)
{
    /// <summary>The labels one edge side is summed by.</summary>
    internal const string EdgeLabels =
        "reporter,source_workload_namespace,source_canonical_service,source_principal,destination_service,destination_service_namespace,"
        + "destination_service_name,destination_workload_namespace,destination_canonical_service,request_protocol";

    /// <summary>The duration buckets' upper bounds (Envoy's, then +Inf).</summary>
    private static readonly double[] UpperBounds = [.. IstioNames.Bounds, double.PositiveInfinity];
    private static readonly Dictionary<string, int> FlagBits = Enumerable.Range(0, ResponseFlagSet.Count).ToDictionary(ResponseFlagSet.ShortName, i => i, StringComparer.Ordinal);

    /// <summary>
    /// The window's edges. <paramref name="selectors"/> narrow what the store sums (each a
    /// PromQL label matcher list, united with <c>or</c>); none: every edge.
    /// </summary>
    public async Task<StoreWindow> ReadAsync(QueryWindow window, IReadOnlyList<string> selectors, bool serviceLatency, CancellationToken cancellationToken)
    {
        var range = $"[{Math.Max(1, (long)Math.Round(window.Seconds))}s]";
        var at = window.To;
        string Sum(string metric, string by) => Union(selectors, s => $"sum by ({by}) (increase({metric}{{{s}}}{range}))");

        Task<List<PromSample>> Run(string promql) => client.QueryAsync(promql, at, cancellationToken);

        // HTTP/gRPC from the compact per-edge-side series remote write adds (EdgeSeries), TCP
        // from the Istio series. One bucket query: every quantile of every edge side and of
        // every service's inbound calls is computed here from its rows (BucketQuantile).
        var requests = Run(Sum(EdgeSeries.Requests, EdgeLabels + ",response_code,grpc_response_status,response_flags,connection_security_policy"));
        var durationSum = Run(Sum(EdgeSeries.DurationMilliseconds, EdgeLabels));
        var requestBytes = Run(Sum(EdgeSeries.RequestBytes, EdgeLabels));
        var responseBytes = Run(Sum(EdgeSeries.ResponseBytes, EdgeLabels));
        var buckets = Run(Sum(EdgeSeries.RequestsByDuration, EdgeLabels + ",le"));
        var tcpSent = Run(Sum(IstioNames.TcpSent, EdgeLabels));
        var tcpReceived = Run(Sum(IstioNames.TcpReceived, EdgeLabels));
        var tcpOpened = Run(Sum(IstioNames.TcpOpened, EdgeLabels));
        var tcpClosed = Run(Sum(IstioNames.TcpClosed, EdgeLabels + ",response_flags,connection_security_policy"));

        Task[] all = [requests, durationSum, requestBytes, responseBytes, buckets, tcpSent, tcpReceived, tcpOpened, tcpClosed];
        try
        {
            await Task.WhenAll(all).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            // Report the first failure (all of them name the same store).
            throw all.Select(t => t.Exception?.InnerException).OfType<StoreUnavailableException>().First();
        }

        var w = new StoreWindow();
        var durations = new Dictionary<(EdgeKey, bool), double>();
        foreach (var row in await durationSum.ConfigureAwait(false))
        {
            if (TryEdge(row, out var key, out var server))
            {
                durations[(key, server)] = durations.GetValueOrDefault((key, server)) + row.Value;
            }
        }

        foreach (var row in await requests.ConfigureAwait(false))
        {
            AddRequests(w, row);
        }

        foreach (var (rows, sent) in new[] { (await requestBytes.ConfigureAwait(false), true), (await responseBytes.ConfigureAwait(false), false) })
        {
            foreach (var row in rows)
            {
                if (TryEdge(row, out var key, out var server) && key.Protocol != TrafficProtocol.Tcp && Count(row.Value) is var bytes and > 0)
                {
                    var side = w.Side(key, server);
                    if (sent)
                    {
                        side.BytesSent += bytes;
                    }
                    else
                    {
                        side.BytesReceived += bytes;
                    }
                }
            }
        }

        AddTcp(w, await tcpReceived.ConfigureAwait(false), (s, v) => s.BytesSent += v);
        AddTcp(w, await tcpSent.ConfigureAwait(false), (s, v) => s.BytesReceived += v);
        AddTcp(w, await tcpOpened.ConfigureAwait(false), (s, v) => s.ConnectionsOpened += v);
        foreach (var row in await tcpClosed.ConfigureAwait(false))
        {
            if (TryEdge(row, out var key, out var server) && key.Protocol == TrafficProtocol.Tcp && Count(row.Value) is var closed and > 0)
            {
                var side = w.Side(key, server);
                side.Connections += closed;
                Classify(side, row, closed, server, http: false);
            }
        }

        var edgeBuckets = new Dictionary<(EdgeKey, bool), double[]>();
        var inboundBuckets = serviceLatency ? new Dictionary<(NodeRef, bool), double[]>() : null;
        foreach (var row in await buckets.ConfigureAwait(false))
        {
            if (BoundIndex(row["le"]) is var le and >= 0 && TryEdge(row, out var key, out var server) && double.IsFinite(row.Value))
            {
                Buckets(edgeBuckets, (key, server))[le] += row.Value;
                if (inboundBuckets is not null)
                {
                    Buckets(inboundBuckets, (key.Target, server))[le] += row.Value;
                }
            }
        }

        foreach (var ((key, server), cumulative) in edgeBuckets)
        {
            Accumulate(cumulative);
            if (w.View.Edges.TryGetValue(key, out var stats) && (server ? stats.Server : stats.Client) is { Requests: > 0 } side)
            {
                w.EdgeLatency[(key, server)] = Latency(durations.GetValueOrDefault((key, server)), side.Requests, cumulative);
            }
        }

        if (inboundBuckets is not null)
        {
            var inboundSums = new Dictionary<(NodeRef, bool), double>();
            foreach (var ((key, server), sum) in durations)
            {
                inboundSums[(key.Target, server)] = inboundSums.GetValueOrDefault((key.Target, server)) + sum;
            }

            foreach (var (k, cumulative) in inboundBuckets)
            {
                Accumulate(cumulative);
                // Made cumulative, the +Inf bucket counts every call.
                if (Count(cumulative[^1]) is var count and > 0)
                {
                    w.ServiceLatency[k] = Latency(inboundSums.GetValueOrDefault(k), count, cumulative);
                }
            }
        }

        return w;
    }

    /// <summary>A PromQL matcher <c>label="value"</c>, the value escaped.</summary>
    public static string Matcher(string label, string value)
    {
        var sb = new StringBuilder(label.Length + value.Length + 4).Append(label).Append("=\"");
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => sb.Append("\\\\"),
                '"' => sb.Append("\\\""),
                '\n' => sb.Append("\\n"),
                _ => sb.Append(c),
            };
        }

        return sb.Append('"').ToString();
    }

    /// <summary>The node a series' source labels name (as <see cref="IstioSeriesStore"/> rendered them).</summary>
    internal static NodeRef SourceNode(in PromSample row)
    {
        var ns = row["source_workload_namespace"];
        var canonical = row["source_canonical_service"];
        if (Known(canonical) && Known(ns))
        {
            return NodeRef.Service(ns, canonical);
        }

        // A caller known only by its certificate: spiffe://trust-domain/ns/NS/sa/SA.
        var parts = row["source_principal"].Split('/');
        return parts.Length == 7 && parts[0] == "spiffe:" && parts[3] == "ns" && parts[5] == "sa" && parts[4].Length > 0 && parts[6].Length > 0
            ? NodeRef.ServiceAccount(parts[4], parts[6])
            : NodeRef.Unknown;
    }

    /// <summary>The node a series' destination labels name.</summary>
    internal static NodeRef DestinationNode(in PromSample row)
    {
        var canonical = row["destination_canonical_service"];
        var workloadNs = row["destination_workload_namespace"];
        if (Known(canonical) && Known(workloadNs))
        {
            return NodeRef.Service(workloadNs, canonical);
        }

        var service = row["destination_service"];
        var name = row["destination_service_name"];
        var ns = row["destination_service_namespace"];
        if (!Known(service))
        {
            return NodeRef.Unknown;
        }

        // A Kubernetes service named by the cluster: <name>.<namespace>.svc.<domain>.
        if (Known(name) && Known(ns) && name != service)
        {
            return NodeRef.Service(ns, name);
        }

        // Outside the registry: a ServiceEntry host, PassthroughCluster, BlackHoleCluster.
        return NodeRef.External(service);
    }

    private static bool Known(string value) => value.Length > 0 && value != IstioNames.Unknown;

    private static bool TryEdge(in PromSample row, out EdgeKey key, out bool server)
    {
        var reporter = row["reporter"];
        server = reporter == "destination";
        if (!server && reporter != "source")
        {
            // Waypoint series run from the caller to the destination: not a side of an edge the memory store keeps.
            key = default;
            return false;
        }

        var protocol = row["request_protocol"] switch
        {
            "grpc" => TrafficProtocol.Grpc,
            "tcp" => TrafficProtocol.Tcp,
            _ => TrafficProtocol.Http,
        };
        key = new EdgeKey(SourceNode(row), DestinationNode(row), protocol);
        return true;
    }

    private static void AddRequests(StoreWindow w, in PromSample row)
    {
        var n = Count(row.Value);
        if (n <= 0 || !TryEdge(row, out var key, out var server) || key.Protocol == TrafficProtocol.Tcp)
        {
            return;
        }

        var side = w.Side(key, server);
        side.Requests += n;
        var code = int.TryParse(row["response_code"], NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : 0;
        side.StatusClasses[code is >= 100 and < 600 ? code / 100 : 0] += n;
        Classify(side, row, n, server, http: true);
    }

    /// <summary>Errors, flags, mTLS, blocked and passthrough calls of <paramref name="n"/> calls with one label set.</summary>
    private static void Classify(SideStats side, in PromSample row, long n, bool server, bool http)
    {
        var flags = Flags(row["response_flags"]);
        var destination = row["destination_service"];
        var blocked = !server && destination == "BlackHoleCluster";
        var error = ResponseFlagSet.IsFailure(flags) || blocked;
        if (http)
        {
            var code = int.TryParse(row["response_code"], NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : 0;
            var grpc = int.TryParse(row["grpc_response_status"], NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g : 0;
            error |= code is not (>= 100 and < 500) || grpc > 0;
        }

        if (error)
        {
            side.Errors += n;
        }

        if (blocked)
        {
            side.Blocked += n;
        }

        if (!server && destination == "PassthroughCluster")
        {
            side.Passthrough += n;
        }

        if (server)
        {
            side.TlsKnown += n;
            side.Mtls += row["connection_security_policy"] == "mutual_tls" ? n : 0;
        }

        if (flags != 0)
        {
            side.FlagCounts ??= new long[ResponseFlagSet.Count];
            for (var i = 0; i < ResponseFlagSet.Count; i++)
            {
                if ((flags & (1u << i)) != 0)
                {
                    side.FlagCounts[i] += n;
                }
            }
        }
    }

    private static void AddTcp(StoreWindow w, List<PromSample> rows, Action<SideStats, long> add)
    {
        foreach (var row in rows)
        {
            if (TryEdge(row, out var key, out var server) && key.Protocol == TrafficProtocol.Tcp && Count(row.Value) is var v and > 0)
            {
                add(w.Side(key, server), v);
            }
        }
    }

    /// <summary>The average (<paramref name="sumMs"/> over <paramref name="count"/> calls) and the quantiles of <paramref name="cumulative"/> buckets.</summary>
    private static LatencyDto Latency(double sumMs, long count, double[] cumulative) =>
        new(Ms(sumMs / count), Quantile(0.5, cumulative), Quantile(0.9, cumulative), Quantile(0.95, cumulative), Quantile(0.99, cumulative));

    private static double Quantile(double q, double[] cumulative) => Ms(BucketQuantile.Of(q, UpperBounds, cumulative));

    /// <summary>The index of a bucket's <c>le</c> into <see cref="UpperBounds"/>; -1 if it is none of them.</summary>
    private static int BoundIndex(string le) =>
        le == "+Inf" ? UpperBounds.Length - 1
        : double.TryParse(le, NumberStyles.Float, CultureInfo.InvariantCulture, out var bound) ? Array.IndexOf(UpperBounds, bound) : -1;

    private static double Ms(double value) => double.IsFinite(value) ? Math.Round(value, 3) : 0;

    /// <summary>Per-bucket counts (<see cref="EdgeSeries.RequestsByDuration"/>) made cumulative, as histogram buckets are.</summary>
    private static void Accumulate(double[] buckets)
    {
        for (var i = 1; i < buckets.Length; i++)
        {
            buckets[i] += buckets[i - 1];
        }
    }

    private static double[] Buckets<TKey>(Dictionary<TKey, double[]> map, TKey key)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var slot))
        {
            slot = new double[UpperBounds.Length];
            map.Add(key, slot);
        }

        return slot;
    }

    /// <summary>An increase as a whole count (the store's arithmetic and extrapolation give fractions).</summary>
    private static long Count(double value) => double.IsFinite(value) && value > 0 ? (long)Math.Round(value) : 0;

    private static uint Flags(string text)
    {
        if (text.Length == 0 || text == "-")
        {
            return 0;
        }

        uint flags = 0;
        foreach (var name in text.Split(','))
        {
            if (FlagBits.TryGetValue(name, out var bit))
            {
                flags |= 1u << bit;
            }
        }

        return flags;
    }

    private static string Union(IReadOnlyList<string> selectors, Func<string, string> query) =>
        selectors.Count == 0 ? query(string.Empty) : string.Join(" or ", selectors.Select(query));
}
