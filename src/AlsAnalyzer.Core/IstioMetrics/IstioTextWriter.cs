using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace AlsAnalyzer.Core.IstioMetrics;

/// <summary>
/// The Prometheus text exposition (0.0.4) of the Istio series, or OpenMetrics 1.0. Each series'
/// labels were rendered once, in UTF-8; a scrape copies them and formats the numbers, straight
/// into the output buffer.
/// </summary>
internal static class IstioTextWriter
{
    public const string PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private static readonly byte[][] BucketSuffixes =
        [.. IstioNames.Bounds.Select(b => Encoding.UTF8.GetBytes($",le=\"{b.ToString(CultureInfo.InvariantCulture)}\"}} ")), Encoding.UTF8.GetBytes(",le=\"+Inf\"} ")];

    private static readonly (string Name, string Help)[] HttpCounters = [(IstioNames.Requests, "Requests, by reporter and Istio's standard labels (computed from access logs).")];

    private static readonly (string Name, string Help)[] TcpCounters =
    [
        (IstioNames.TcpSent, "Bytes sent during responses of TCP connections (computed from access logs)."),
        (IstioNames.TcpReceived, "Bytes received during requests of TCP connections (computed from access logs)."),
        (IstioNames.TcpOpened, "TCP connections opened (computed from access logs)."),
        (IstioNames.TcpClosed, "TCP connections closed (computed from access logs)."),
    ];

    public static void Write(IBufferWriter<byte> output, IEnumerable<IstioSeries> all, bool openMetrics)
    {
        var http = new List<IstioSeries>();
        var tcp = new List<IstioSeries>();
        foreach (var s in all)
        {
            (s.Tcp ? tcp : http).Add(s);
        }

        var w = new Writer(output);
        Counter(ref w, http, HttpCounters[0], openMetrics, static c => c.Requests);
        Histogram(ref w, http, IstioNames.Duration, "Request durations in milliseconds (computed from access logs).", IstioCounts.DurationOffset, static c => c.DurationMicrosSum / 1000.0, openMetrics);
        Histogram(ref w, http, IstioNames.RequestBytes, "Request sizes in bytes (computed from access logs).", IstioCounts.RequestBytesOffset, static c => c.RequestBytesSum, openMetrics);
        Histogram(ref w, http, IstioNames.ResponseBytes, "Response sizes in bytes (computed from access logs).", IstioCounts.ResponseBytesOffset, static c => c.ResponseBytesSum, openMetrics);
        Counter(ref w, tcp, TcpCounters[0], openMetrics, static c => c.TcpSentBytes);
        Counter(ref w, tcp, TcpCounters[1], openMetrics, static c => c.TcpReceivedBytes);
        Counter(ref w, tcp, TcpCounters[2], openMetrics, static c => c.TcpOpened);
        Counter(ref w, tcp, TcpCounters[3], openMetrics, static c => c.TcpClosed);
        if (openMetrics)
        {
            w.Ascii("# EOF\n");
        }

        w.Commit();
    }

    private static void Counter(ref Writer w, List<IstioSeries> series, (string Name, string Help) family, bool openMetrics, Func<IstioCounts, long> value)
    {
        if (series.Count == 0)
        {
            return;
        }

        // OpenMetrics names the counter family without its _total suffix.
        var familyName = openMetrics ? family.Name[..^"_total".Length] : family.Name;
        w.Ascii($"# HELP {familyName} {family.Help}\n# TYPE {familyName} counter\n");
        var name = Encoding.UTF8.GetBytes(family.Name + "{");
        foreach (var s in series)
        {
            w.Bytes(name);
            w.Bytes(s.LabelText);
            w.Byte((byte)'}');
            w.Byte((byte)' ');
            w.Long(value(s.Published));
            w.Byte((byte)'\n');
        }
    }

    private static void Histogram(ref Writer w, List<IstioSeries> series, string name, string help, int offset, Func<IstioCounts, double> sum, bool openMetrics)
    {
        if (series.Count == 0)
        {
            return;
        }

        w.Ascii($"# HELP {name} {help}\n# TYPE {name} histogram\n");
        var bucket = Encoding.UTF8.GetBytes(name + "_bucket{");
        var sumName = Encoding.UTF8.GetBytes(name + "_sum{");
        var countName = Encoding.UTF8.GetBytes(name + "_count{");
        foreach (var s in series)
        {
            var c = s.Published;
            long cumulative = 0;
            for (var i = 0; i < IstioNames.Buckets; i++)
            {
                cumulative += c.Buckets[offset + i];
                w.Bytes(bucket);
                w.Bytes(s.LabelText);
                w.Bytes(BucketSuffixes[i]);
                w.Long(cumulative);
                w.Byte((byte)'\n');
            }

            w.Bytes(sumName);
            w.Bytes(s.LabelText);
            w.Byte((byte)'}');
            w.Byte((byte)' ');
            w.Double(sum(c));
            w.Byte((byte)'\n');
            w.Bytes(countName);
            w.Bytes(s.LabelText);
            w.Byte((byte)'}');
            w.Byte((byte)' ');
            w.Long(cumulative);
            w.Byte((byte)'\n');
        }

        _ = openMetrics;
    }

    /// <summary>Writes into spans of the output of at least 4 KiB, advancing it once per span.</summary>
    private ref struct Writer(IBufferWriter<byte> output)
    {
        private const int Chunk = 64 * 1024;
        private Span<byte> _span;
        private int _used;

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            if (_span.Length - _used < bytes.Length)
            {
                Renew(bytes.Length);
            }

            bytes.CopyTo(_span[_used..]);
            _used += bytes.Length;
        }

        public void Byte(byte b)
        {
            if (_span.Length == _used)
            {
                Renew(1);
            }

            _span[_used++] = b;
        }

        public void Ascii(string text) => Bytes(Encoding.UTF8.GetBytes(text));

        public void Long(long value)
        {
            if (_span.Length - _used < 20)
            {
                Renew(20);
            }

            Utf8Formatter.TryFormat(value, _span[_used..], out var n);
            _used += n;
        }

        public void Double(double value)
        {
            if (_span.Length - _used < 32)
            {
                Renew(32);
            }

            value.TryFormat(_span[_used..], out var n, "R", CultureInfo.InvariantCulture);
            _used += n;
        }

        public void Commit()
        {
            if (_used > 0)
            {
                output.Advance(_used);
            }

            _span = default;
            _used = 0;
        }

        private void Renew(int atLeast)
        {
            Commit();
            _span = output.GetSpan(Math.Max(atLeast, Chunk));
        }
    }
}
