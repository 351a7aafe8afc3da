namespace AlsAnalyzer.Core.Metrics;

/// <summary>
/// One stat of one proxy: its last value and, for counters and distributions, the increase
/// per minute. Cumulative counters turn into increases by difference with the previous
/// value; a value below the previous one means Envoy restarted, and the whole new value is
/// the increase since the restart. The first value seen is a baseline (its history is
/// unknown) and adds nothing.
/// </summary>
internal sealed class StatSeries(StatKind kind, string? cluster, string? clusterStat)
{
    private readonly SortedDictionary<long, double> _increases = [];
    private bool _hasBaseline;

    public StatKind Kind { get; } = kind;

    public string? Cluster { get; } = cluster;

    public string? ClusterStat { get; } = clusterStat;

    public double Last { get; private set; }

    /// <summary>Minutes with an increase held (each about <see cref="ProxyRegistry.BytesPerMinute"/> bytes).</summary>
    public int Minutes => _increases.Count;

    /// <summary>Whether a value at <paramref name="minute"/> would add a minute to the series.</summary>
    public bool WouldAddMinute(long minute) => Kind != StatKind.Gauge && !_increases.ContainsKey(minute);

    /// <summary>Distributions: the quantiles of the last flush interval.</summary>
    public IReadOnlyList<(double Quantile, double Value)> Quantiles { get; private set; } = [];

    public void Counter(double value, long minute, bool deltas)
    {
        double increase;
        if (deltas)
        {
            increase = value;
        }
        else if (!_hasBaseline)
        {
            increase = 0;
        }
        else if (value >= Last)
        {
            increase = value - Last;
        }
        else
        {
            increase = value;
        }

        _hasBaseline = true;
        Last = value;
        Add(minute, increase);
    }

    public void Gauge(double value) => Last = value;

    /// <summary>Whether a first cumulative value was seen (later ones add their difference).</summary>
    public bool HasBaseline => _hasBaseline;

    /// <summary>The increases held, by unix minute, oldest first (snapshots).</summary>
    public IEnumerable<KeyValuePair<long, double>> Increases => _increases;

    /// <summary>A series as a snapshot held it.</summary>
    public static StatSeries Restore(StatKind kind, string? cluster, string? clusterStat, double last, bool hasBaseline, IEnumerable<(long Minute, double Increase)> increases, IReadOnlyList<(double Quantile, double Value)> quantiles)
    {
        var series = new StatSeries(kind, cluster, clusterStat) { Last = last, _hasBaseline = hasBaseline, Quantiles = quantiles };
        foreach (var (minute, increase) in increases)
        {
            series.Add(minute, increase);
        }

        return series;
    }

    /// <summary>Envoy reports a distribution per flush interval: its count is already an increase.</summary>
    public void Distribution(double intervalCount, IReadOnlyList<(double Quantile, double Value)> quantiles, long minute)
    {
        Last = intervalCount;
        if (quantiles.Count > 0)
        {
            Quantiles = quantiles;
        }

        Add(minute, intervalCount);
    }

    public double IncreaseBetween(long fromMinute, long toMinute)
    {
        double sum = 0;
        foreach (var (minute, inc) in _increases)
        {
            if (minute > toMinute)
            {
                break;
            }

            if (minute >= fromMinute)
            {
                sum += inc;
            }
        }

        return sum;
    }

    public void DropBefore(long minute)
    {
        while (_increases.Count > 0)
        {
            var first = _increases.Keys.First();
            if (first >= minute)
            {
                break;
            }

            _increases.Remove(first);
        }
    }

    private void Add(long minute, double increase)
    {
        if (increase == 0)
        {
            return;
        }

        _increases.TryGetValue(minute, out var existing);
        _increases[minute] = existing + increase;
    }
}
