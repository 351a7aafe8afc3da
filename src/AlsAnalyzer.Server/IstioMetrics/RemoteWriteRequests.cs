using AlsAnalyzer.Core.IstioMetrics;
using AlsAnalyzer.Core.IstioMetrics.RemoteWrite;
using Google.Protobuf;

namespace AlsAnalyzer.Server.IstioMetrics;

/// <summary>Builds the remote-write <see cref="WriteRequest"/> of one snapshot: the same series as the scrape, labels sorted by name.</summary>
internal static class RemoteWriteRequests
{
    private const string NameLabel = "__name__";
    private const string LeLabel = "le";

    /// <summary>The external label naming the replica that wrote a series.</summary>
    public const string ReplicaLabel = "replica";

    private const int LeIndex = -1;
    private const int ReplicaIndex = -2;

    // Label indexes sorted by name, with -1 where "le" goes and -2 where "replica" goes ("__name__" sorts first).
    private static readonly int[] SortedWithLe = Sorted();

    private static readonly string[] LeValues =
        [.. IstioNames.Bounds.Select(b => b.ToString(System.Globalization.CultureInfo.InvariantCulture)), "+Inf"];

    public static WriteRequest Build(List<(IstioSeries Series, IstioCounts Counts)> snapshot, long timestampMs, string replica, out int samples)
    {
        var request = new WriteRequest();
        var replicaLabel = Replica(replica);
        foreach (var (series, c) in snapshot)
        {
            if (series.Tcp)
            {
                Add(request, replicaLabel, series, IstioNames.TcpSent, null, c.TcpSentBytes, timestampMs);
                Add(request, replicaLabel, series, IstioNames.TcpReceived, null, c.TcpReceivedBytes, timestampMs);
                Add(request, replicaLabel, series, IstioNames.TcpOpened, null, c.TcpOpened, timestampMs);
                Add(request, replicaLabel, series, IstioNames.TcpClosed, null, c.TcpClosed, timestampMs);
                continue;
            }

            Add(request, replicaLabel, series, IstioNames.Requests, null, c.Requests, timestampMs);
            Histogram(request, replicaLabel, series, IstioNames.Duration, c, IstioCounts.DurationOffset, c.DurationMicrosSum / 1000.0, timestampMs);
            Histogram(request, replicaLabel, series, IstioNames.RequestBytes, c, IstioCounts.RequestBytesOffset, c.RequestBytesSum, timestampMs);
            Histogram(request, replicaLabel, series, IstioNames.ResponseBytes, c, IstioCounts.ResponseBytesOffset, c.ResponseBytesSum, timestampMs);
        }

        samples = request.Timeseries.Count;
        request.Metadata.Add(Metadata(IstioNames.Requests, MetricMetadata.Types.MetricType.Counter));
        request.Metadata.Add(Metadata(IstioNames.Duration, MetricMetadata.Types.MetricType.Histogram));
        request.Metadata.Add(Metadata(IstioNames.RequestBytes, MetricMetadata.Types.MetricType.Histogram));
        request.Metadata.Add(Metadata(IstioNames.ResponseBytes, MetricMetadata.Types.MetricType.Histogram));
        request.Metadata.Add(Metadata(IstioNames.TcpSent, MetricMetadata.Types.MetricType.Counter));
        request.Metadata.Add(Metadata(IstioNames.TcpReceived, MetricMetadata.Types.MetricType.Counter));
        request.Metadata.Add(Metadata(IstioNames.TcpOpened, MetricMetadata.Types.MetricType.Counter));
        request.Metadata.Add(Metadata(IstioNames.TcpClosed, MetricMetadata.Types.MetricType.Counter));
        return request;
    }

    /// <summary>The <c>replica</c> label of every series <paramref name="replica"/> pushes.</summary>
    public static Label Replica(string replica) => new() { Name = ReplicaLabel, Value = replica };

    /// <summary>The snappy-compressed body of <paramref name="request"/> (remote write uses snappy's block format).</summary>
    public static byte[] Encode(WriteRequest request) => Snappier.Snappy.CompressToArray(request.ToByteArray());

    private static MetricMetadata Metadata(string family, MetricMetadata.Types.MetricType type) =>
        new() { MetricFamilyName = family, Type = type };

    private static void Histogram(WriteRequest request, Label replica, IstioSeries series, string name, IstioCounts c, int offset, double sum, long timestampMs)
    {
        long cumulative = 0;
        for (var i = 0; i < IstioNames.Buckets; i++)
        {
            cumulative += c.Buckets[offset + i];
            Add(request, replica, series, name + "_bucket", LeValues[i], cumulative, timestampMs);
        }

        Add(request, replica, series, name + "_sum", null, sum, timestampMs);
        Add(request, replica, series, name + "_count", null, cumulative, timestampMs);
    }

    private static void Add(WriteRequest request, Label replica, IstioSeries series, string name, string? le, double value, long timestampMs)
    {
        var ts = new TimeSeries();
        ts.Labels.Add(new Label { Name = NameLabel, Value = name });
        foreach (var index in SortedWithLe)
        {
            if (index == ReplicaIndex)
            {
                ts.Labels.Add(replica);
                continue;
            }

            if (index == LeIndex)
            {
                if (le is not null)
                {
                    ts.Labels.Add(new Label { Name = LeLabel, Value = le });
                }

                continue;
            }

            // Empty values are absent labels in Prometheus' model.
            var v = series.Values[index];
            if (v.Length > 0 && IstioSeries.HasLabel(series.Tcp, index))
            {
                ts.Labels.Add(new Label { Name = IstioNames.Labels[index], Value = v });
            }
        }

        ts.Samples.Add(new Sample { Value = value, Timestamp = timestampMs });
        request.Timeseries.Add(ts);
    }

    private static int[] Sorted()
    {
        var names = IstioNames.Labels.Select((n, i) => (Name: n, Index: i)).Append((Name: LeLabel, Index: LeIndex)).Append((Name: ReplicaLabel, Index: ReplicaIndex));
        return [.. names.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.Index)];
    }
}
