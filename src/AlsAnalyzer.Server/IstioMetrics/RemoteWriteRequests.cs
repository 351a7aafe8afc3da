using AlsAnalyzer.Core.IstioMetrics;
using AlsAnalyzer.Core.IstioMetrics.RemoteWrite;
using Google.Protobuf;

namespace AlsAnalyzer.Server.IstioMetrics;

/// <summary>
/// The remote-write <see cref="WriteRequest"/> of one snapshot, through Google.Protobuf's
/// object model: the same series as the scrape, labels sorted by name. The service sends
/// <see cref="RemoteWriteEncoder"/>'s bodies for the Istio series, which hold the same bytes in
/// batches; this form is the reference the tests and the encoder benchmark compare it with, and
/// carries the few compact edge series (<see cref="EdgeSeries"/>).
/// </summary>
internal static class RemoteWriteRequests
{
    internal const string NameLabel = "__name__";
    internal const string LeLabel = "le";

    /// <summary>The external label naming the replica that wrote a series.</summary>
    public const string ReplicaLabel = "replica";

    internal const int LeIndex = -1;
    internal const int ReplicaIndex = -2;

    // Label indexes sorted by name, with -1 where "le" goes and -2 where "replica" goes ("__name__" sorts first).
    internal static readonly int[] SortedWithLe = Sorted();

    /// <summary>The metric families and their types, as the requests' metadata names them.</summary>
    internal static readonly (string Family, MetricMetadata.Types.MetricType Type)[] MetadataFamilies =
    [
        (IstioNames.Requests, MetricMetadata.Types.MetricType.Counter),
        (IstioNames.Duration, MetricMetadata.Types.MetricType.Histogram),
        (IstioNames.RequestBytes, MetricMetadata.Types.MetricType.Histogram),
        (IstioNames.ResponseBytes, MetricMetadata.Types.MetricType.Histogram),
        (IstioNames.TcpSent, MetricMetadata.Types.MetricType.Counter),
        (IstioNames.TcpReceived, MetricMetadata.Types.MetricType.Counter),
        (IstioNames.TcpOpened, MetricMetadata.Types.MetricType.Counter),
        (IstioNames.TcpClosed, MetricMetadata.Types.MetricType.Counter),
    ];

    internal static readonly string[] LeValues =
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
        foreach (var (family, type) in MetadataFamilies)
        {
            request.Metadata.Add(Metadata(family, type));
        }

        return request;
    }

    /// <summary>The <c>replica</c> label of every series <paramref name="replica"/> pushes.</summary>
    public static Label Replica(string replica) => new() { Name = ReplicaLabel, Value = replica };

    /// <summary>The snappy-compressed body of <paramref name="request"/> (remote write uses snappy's block format).</summary>
    public static byte[] Encode(WriteRequest request) => Snappier.Snappy.CompressToArray(request.ToByteArray());

    /// <summary><paramref name="request"/>'s time series in requests of at most <paramref name="maxSamples"/>, each with its metadata, encoded.</summary>
    public static List<(byte[] Body, int Samples)> EncodeBatches(WriteRequest request, int maxSamples)
    {
        var bodies = new List<(byte[] Body, int Samples)>();
        for (var i = 0; i < request.Timeseries.Count; i += maxSamples)
        {
            var batch = new WriteRequest();
            batch.Timeseries.AddRange(request.Timeseries.Skip(i).Take(maxSamples));
            batch.Metadata.AddRange(request.Metadata);
            bodies.Add((Encode(batch), batch.Timeseries.Count));
        }

        return bodies;
    }

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
