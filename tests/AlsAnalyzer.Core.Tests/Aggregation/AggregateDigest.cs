using System.Globalization;
using AlsAnalyzer.Core.Aggregation;

namespace AlsAnalyzer.Core.Tests.Aggregation;

/// <summary>
/// Every figure of a set of minute buckets as sorted lines, so that two aggregations compare
/// with one equality and a failure shows the lines that differ.
/// </summary>
internal static class AggregateDigest
{
    public static List<string> Of(IEnumerable<KeyValuePair<long, MinuteBucket>> minutes)
    {
        var lines = new List<string>();
        foreach (var (minute, bucket) in minutes)
        {
            foreach (var (key, stats) in bucket.Edges)
            {
                lines.Add($"{minute} edge {key.Source.Id}>{key.Target.Id} {key.Protocol} {Sides(stats)}");
            }

            foreach (var (key, stats) in bucket.Endpoints)
            {
                lines.Add($"{minute} endpoint {key.Service.Id} {key.Protocol} {key.Endpoint} {Sides(stats)}");
            }

            foreach (var (key, stats) in bucket.Instances)
            {
                lines.Add($"{minute} instance {key.Service.Id} {key.Instance} in={stats.Inbound} inErr={stats.InboundErrors} out={stats.Outbound}");
            }

            foreach (var gateway in bucket.Gateways)
            {
                lines.Add($"{minute} gateway {gateway.Id}");
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static string Sides(EdgeStats stats) => $"client[{Side(stats.Client)}] server[{Side(stats.Server)}]";

    private static string Side(SideStats? s)
    {
        if (s is null)
        {
            return "-";
        }

        var classes = string.Join(',', Enumerable.Range(0, SideStats.StatusClassNames.Length).Select(i => s.StatusClasses[i]));
        var flags = s.FlagCounts is null ? "-" : string.Join(',', s.FlagCounts);
        var p50 = s.Latency.Count > 0 ? s.Latency.Quantile(0.5).ToString("R", CultureInfo.InvariantCulture) : "-";
        var p99 = s.Latency.Count > 0 ? s.Latency.Quantile(0.99).ToString("R", CultureInfo.InvariantCulture) : "-";
        return $"req={s.Requests} err={s.Errors} classes={classes} lat={s.LatencySumMicros}/{s.Latency.Count}/{p50}/{p99} "
            + $"bytes={s.BytesSent}/{s.BytesReceived} tls={s.TlsKnown}/{s.Mtls} conn={s.Connections}/{s.ConnectionsOpened} "
            + $"blocked={s.Blocked} passthrough={s.Passthrough} flags={flags}";
    }
}
