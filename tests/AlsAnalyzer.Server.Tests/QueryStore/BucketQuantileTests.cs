using System.Globalization;
using System.Net.Http.Headers;
using AlsAnalyzer.Core.IstioMetrics;
using AlsAnalyzer.Core.IstioMetrics.RemoteWrite;
using AlsAnalyzer.Server.StoreQueries;
using AlsAnalyzer.Server.Tests.Support;
using Google.Protobuf;

namespace AlsAnalyzer.Server.Tests.QueryStore;

/// <summary>
/// The replica's quantile of cumulative buckets: the rules of PromQL's <c>histogram_quantile</c>
/// on hand-made buckets, then the very answers of a real VictoriaMetrics and Prometheus on the
/// same increases.
/// </summary>
public sealed class BucketQuantileTests
{
    private static readonly double[] Bounds = [.. IstioNames.Bounds, double.PositiveInfinity];
    private static readonly double[] Quantiles = [0.5, 0.9, 0.95, 0.99];

    public static TheoryData<string> Stores => ["victoria-metrics", "prometheus"];

    [Fact]
    public void NoObservation_IsNaN()
    {
        Assert.True(double.IsNaN(BucketQuantile.Of(0.5, Bounds, new double[Bounds.Length])));
        Assert.True(double.IsNaN(BucketQuantile.Of(0.99, [], [])));
    }

    [Fact]
    public void WithoutInfBucket_OrFewerThanTwoBuckets_IsNaN()
    {
        Assert.True(double.IsNaN(BucketQuantile.Of(0.5, [1, 5, 10], [1, 2, 3])));
        Assert.True(double.IsNaN(BucketQuantile.Of(0.5, [double.PositiveInfinity], [7])));
    }

    [Fact]
    public void QuantileOutsideZeroToOne_IsInfinite_NaNIsNaN()
    {
        var c = Cumulative((3, 10));
        Assert.Equal(double.NegativeInfinity, BucketQuantile.Of(-0.1, Bounds, c));
        Assert.Equal(double.PositiveInfinity, BucketQuantile.Of(1.1, Bounds, c));
        Assert.True(double.IsNaN(BucketQuantile.Of(double.NaN, Bounds, c)));
    }

    [Fact]
    public void AllInFirstBucket_InterpolatesFromZero()
    {
        // 10 calls at or below 0.5 ms: the median is half way to the first bound.
        var c = Cumulative((0, 10));
        Assert.Equal(0.25, BucketQuantile.Of(0.5, Bounds, c), 12);
        Assert.Equal(0.495, BucketQuantile.Of(0.99, Bounds, c), 12);
    }

    [Fact]
    public void OnlyInfBucket_AnswersTheLastFiniteBound()
    {
        // Every call above 3,600,000 ms: nothing is known but that bound.
        var c = Cumulative((Bounds.Length - 1, 4));
        Assert.Equal(3_600_000, BucketQuantile.Of(0.5, Bounds, c));
        Assert.Equal(3_600_000, BucketQuantile.Of(0.99, Bounds, c));
    }

    [Fact]
    public void LinearWithinTheBucketTheRankFallsIn()
    {
        // 50 calls in (5, 10], 50 in (25, 50]: p50 at 10 (rank 50 ends the first), p90 in (25, 50].
        var c = Cumulative((3, 50), (5, 50));
        Assert.Equal(10, BucketQuantile.Of(0.5, Bounds, c), 12);
        Assert.Equal(25 + (25 * 40 / 50.0), BucketQuantile.Of(0.9, Bounds, c), 12);
        Assert.Equal(25 + (25 * 49 / 50.0), BucketQuantile.Of(0.99, Bounds, c), 12);
    }

    [Fact]
    public void DecreasingOrNaNCounts_TakeThePreviousBucketsCount()
    {
        // A reset seen in one bucket's increase (le=10 below le=5) or a NaN: repaired upwards, as the stores do.
        var broken = Cumulative((2, 40), (5, 60));
        broken[3] = 10;
        broken[4] = double.NaN;
        var repaired = Cumulative((2, 40), (5, 60));
        foreach (var q in Quantiles)
        {
            Assert.Equal(BucketQuantile.Of(q, Bounds, repaired), BucketQuantile.Of(q, Bounds, broken), 12);
        }

        Assert.Equal(10, broken[3]);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task SameAsTheStoresHistogramQuantile_OnTheSameIncreases(string backend)
    {
        await using var store = backend == "prometheus"
            ? await MetricsBackend.StartPrometheusAsync("127.0.0.1:1")
            : await MetricsBackend.StartVictoriaMetricsAsync();

        // Per case, per bound: the cumulative count at three pushes 20 s apart.
        var cases = new Dictionary<string, long[][]>
        {
            ["spread"] = Pushes(Cumulative((1, 3), (3, 20), (4, 7), (6, 1)), Cumulative((1, 9), (3, 41), (4, 30), (6, 2), (9, 1))),
            ["first"] = Pushes(Cumulative((0, 5)), Cumulative((0, 17))),
            ["inf-only"] = Pushes(Cumulative((Bounds.Length - 1, 2)), Cumulative((Bounds.Length - 1, 9))),
            ["one"] = Pushes(Cumulative(), Cumulative((7, 1))),
        };

        // No call in the window: the same counts at every push (VictoriaMetrics 1.79 counts a
        // small first value as an increase from 0, Prometheus answers NaN).
        long[] eight = [.. Cumulative((4, 8)).Select(v => (long)v)];
        cases["idle"] = [eight, eight, eight];

        // A reset of le=10 at the third push (back to 2): le=5's increase exceeds le=10's.
        cases["reset"] = Pushes(Cumulative((2, 30), (4, 5)), Cumulative((2, 30), (4, 5)));
        cases["reset"][2][3] = 2;

        var now = DateTimeOffset.UtcNow;
        var request = new WriteRequest();
        foreach (var (name, pushes) in cases)
        {
            for (var b = 0; b < Bounds.Length; b++)
            {
                var ts = new TimeSeries();
                ts.Labels.Add(new Label { Name = "__name__", Value = "test_duration_bucket" });
                ts.Labels.Add(new Label { Name = "case", Value = name });
                ts.Labels.Add(new Label { Name = "le", Value = b == Bounds.Length - 1 ? "+Inf" : Bounds[b].ToString(CultureInfo.InvariantCulture) });
                for (var p = 0; p < pushes.Length; p++)
                {
                    ts.Samples.Add(new Sample { Timestamp = now.AddSeconds(-50 + (20 * p)).ToUnixTimeMilliseconds(), Value = pushes[p][b] });
                }

                request.Timeseries.Add(ts);
            }
        }

        using var content = new ByteArrayContent(Snappier.Snappy.CompressToArray(request.ToByteArray()));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        content.Headers.ContentEncoding.Add("snappy");
        using (var response = await store.Http.PostAsync(store.RemoteWriteUrl, content, TestContext.Current.CancellationToken))
        {
            Assert.True(response.IsSuccessStatusCode, $"remote write: HTTP {(int)response.StatusCode}");
        }

        const string Buckets = "sum by (case, le) (increase(test_duration_bucket[2m]))";
        var at = now.AddSeconds(1);
        var rows = await WaitForRowsAsync(store, Buckets, at, cases.Count * Bounds.Length);
        var increases = cases.Keys.ToDictionary(c => c, _ => new double[Bounds.Length]);
        foreach (var (labels, value) in rows)
        {
            var le = labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(labels["le"], CultureInfo.InvariantCulture);
            increases[labels["case"]][Array.IndexOf(Bounds, le)] = value;
        }

        // The reset made the buckets non-monotonic: the repair is exercised.
        Assert.True(increases["reset"][2] > increases["reset"][3]);
        foreach (var q in Quantiles)
        {
            var theirs = (await store.QueryAsync($"histogram_quantile({q.ToString(CultureInfo.InvariantCulture)}, {Buckets})", at))
                .ToDictionary(r => r.Labels["case"], r => r.Value);
            foreach (var (name, increase) in increases)
            {
                if (name == "reset" && backend != "prometheus")
                {
                    // Buckets that decrease upwards are repaired differently: Prometheus (and
                    // newer VictoriaMetrics releases) raise the upper bucket, VictoriaMetrics 1.79
                    // lowers the lower one. Whole-histogram resets (a replica's restart) never
                    // break the order; the replica follows Prometheus.
                    continue;
                }

                var ours = BucketQuantile.Of(q, Bounds, increase);
                var expected = theirs.GetValueOrDefault(name, double.NaN);
                if (double.IsNaN(expected))
                {
                    // VictoriaMetrics leaves NaN answers out, Prometheus returns them.
                    Assert.True(double.IsNaN(ours), $"{backend} {name} q={q}: store NaN, ours {ours}");
                }
                else
                {
                    Assert.True(Math.Abs(ours - expected) <= 1e-9 * Math.Max(1, Math.Abs(expected)), $"{backend} {name} q={q}: store {expected}, ours {ours}");
                }
            }
        }
    }

    /// <summary>Cumulative counts per bound from (bucket index, calls in it) pairs.</summary>
    private static double[] Cumulative(params (int Bucket, long Calls)[] calls)
    {
        var c = new double[Bounds.Length];
        foreach (var (bucket, n) in calls)
        {
            for (var i = bucket; i < c.Length; i++)
            {
                c[i] += n;
            }
        }

        return c;
    }

    /// <summary>Three pushes: all zero, then <paramref name="first"/>, then <paramref name="first"/> plus <paramref name="more"/>.</summary>
    private static long[][] Pushes(double[] first, double[] more) =>
        [new long[Bounds.Length], [.. first.Select(v => (long)v)], [.. first.Zip(more, (a, b) => (long)(a + b))]];

    private static async Task<List<(Dictionary<string, string> Labels, double Value)>> WaitForRowsAsync(MetricsBackend store, string promql, DateTimeOffset at, int expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<(Dictionary<string, string> Labels, double Value)> rows = [];
        while (DateTime.UtcNow < deadline)
        {
            rows = await store.QueryAsync(promql, at);
            if (rows.Count >= expected)
            {
                return rows;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"{promql}: {rows.Count} of {expected} rows\n{store.Output}");
        return rows;
    }
}
