using System.Globalization;

namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>One scrape of the server's /metrics (Prometheus text format).</summary>
internal sealed class MetricsSnapshot
{
    private readonly Dictionary<string, double> _series = new(StringComparer.Ordinal);

    public static MetricsSnapshot Parse(string text)
    {
        var snapshot = new MetricsSnapshot();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            if (space > 0 && double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                snapshot._series[line[..space]] = value;
            }
        }

        return snapshot;
    }

    /// <summary>The sum of every series of <paramref name="name"/> (all label sets); 0 when absent.</summary>
    public double Sum(string name)
    {
        double sum = 0;
        foreach (var (series, value) in _series)
        {
            if (series == name || (series.StartsWith(name, StringComparison.Ordinal) && series.Length > name.Length && series[name.Length] == '{'))
            {
                sum += value;
            }
        }

        return sum;
    }

    /// <summary>One series by its exact text, e.g. <c>als_streams_open{api="accesslog_v3"}</c>; 0 when absent.</summary>
    public double Get(string series) => _series.TryGetValue(series, out var v) ? v : 0;

    public MetricsDelta Minus(MetricsSnapshot before) => new(this, before);
}
