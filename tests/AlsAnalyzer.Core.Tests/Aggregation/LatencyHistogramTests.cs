using AlsAnalyzer.Core.Aggregation;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace AlsAnalyzer.Core.Tests.Aggregation;

public sealed class LatencyHistogramTests
{
    private const long TenMinutesMicros = 600_000_000;

    private static readonly double[] Percentiles = [0.50, 0.90, 0.95, 0.99];

    /// <summary>Sample sets of 1..5000 values in 1 us .. 10 min, from several shapes of distribution.</summary>
    private static readonly Arbitrary<long[]> Samples =
        (from shape in Gen.Choose(0, 6)
         from count in Gen.Choose(1, 5000)
         from seed in Gen.Choose(0, int.MaxValue)
         select Generate(shape, count, seed)).ToArbitrary();

    [Property(MaxTest = 200)]
    public Property Quantile_RandomSamples_WithinFivePercentOfExactNearestRank()
    {
        return Prop.ForAll(Samples, samples =>
        {
            // Arrange
            var histogram = new LatencyHistogram();
            foreach (var v in samples)
            {
                histogram.Add(v);
            }

            Array.Sort(samples);

            // Act + Assert
            foreach (var q in Percentiles)
            {
                var exact = (double)NearestRank(samples, q);
                var estimate = histogram.Quantile(q);
                if (Math.Abs(estimate - exact) > 0.05 * exact)
                {
                    return false.Label($"q={q}: exact {exact}, histogram {estimate}, n={samples.Length}");
                }
            }

            return (histogram.Count == samples.Length).Label("Count");
        });
    }

    [Property(MaxTest = 100)]
    public Property Merge_TwoHistograms_SameAsAddingAllSamplesToOne()
    {
        return Prop.ForAll(Samples, Samples, (a, b) =>
        {
            // Arrange
            var left = Fill(a);
            var right = Fill(b);
            var all = Fill([.. a, .. b]);

            // Act
            left.Merge(right);

            // Assert
            var quantiles = Enumerable.Range(0, 101).Select(i => i / 100.0);
            return left.Count == all.Count
                && left.BucketCount == all.BucketCount
                && quantiles.All(q => left.Quantile(q) == all.Quantile(q))
                && right.Count == b.Length;
        });
    }

    [Fact]
    public void Merge_IntoEmpty_CopiesEverything()
    {
        // Arrange
        var empty = new LatencyHistogram();
        var source = Fill([5, 5, 40, 1_000, 2_000_000]);

        // Act
        empty.Merge(source);

        // Assert
        Assert.Equal(5, empty.Count);
        Assert.Equal(source.BucketCount, empty.BucketCount);
        Assert.Equal(source.Quantile(0.5), empty.Quantile(0.5));
        Assert.Equal(source.Quantile(1.0), empty.Quantile(1.0));
    }

    [Property(MaxTest = 1000)]
    public Property IndexOf_AnyValue_WithinItsBucketBounds()
    {
        var values = Gen.Choose(0, 61).SelectMany(bits => Gen.Choose(0, int.MaxValue).Two().Select(p => Bounded(bits, p.Item1, p.Item2)));
        return Prop.ForAll(values.ToArbitrary(), v => BucketHolds(v).Label($"v={v}"));
    }

    [Fact]
    public void IndexOf_EveryValueUpToTwoHundredThousandAndEveryOctaveEdge_WithinItsBucketBounds()
    {
        // Arrange
        var values = Enumerable.Range(0, 200_000).Select(i => (long)i)
            .Concat(Enumerable.Range(5, 57).SelectMany(e => new[] { (1L << e) - 1, 1L << e, (1L << e) + 1 }))
            .Append(TenMinutesMicros);

        // Act + Assert
        foreach (var v in values)
        {
            Assert.True(BucketHolds(v), $"bucket of {v}: [{LatencyHistogram.LowerBound(LatencyHistogram.IndexOf(v))}, {LatencyHistogram.LowerBound(LatencyHistogram.IndexOf(v) + 1)})");
        }
    }

    [Fact]
    public void IndexOf_IncreasingValues_IndexNeverDecreasesAndBucketsAreContiguous()
    {
        // Arrange
        var last = LatencyHistogram.IndexOf(TenMinutesMicros);

        // Act + Assert: bucket i ends where bucket i + 1 starts, so no value falls between buckets.
        for (var i = 0; i < last; i++)
        {
            Assert.True(LatencyHistogram.LowerBound(i) < LatencyHistogram.LowerBound(i + 1));
            Assert.Equal(i, LatencyHistogram.IndexOf(LatencyHistogram.LowerBound(i)));
            Assert.Equal(i, LatencyHistogram.IndexOf(LatencyHistogram.LowerBound(i + 1) - 1));
        }
    }

    [Fact]
    public void IndexOf_BucketWidth_AtMostOneThirtySecondOfLowerBound()
    {
        // Arrange
        var last = LatencyHistogram.IndexOf(TenMinutesMicros);

        for (var i = 32; i <= last; i++)
        {
            // Act
            var low = LatencyHistogram.LowerBound(i);
            var width = LatencyHistogram.LowerBound(i + 1) - low;

            // Assert
            Assert.True(width * 32 <= low, $"bucket {i}: [{low}, {low + width})");
        }
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(31L)]
    public void Midpoint_BelowThirtyTwo_ExactValue(long v)
    {
        // Act
        var mid = LatencyHistogram.Midpoint(LatencyHistogram.IndexOf(v));

        // Assert
        Assert.Equal(v, mid);
    }

    [Fact]
    public void Midpoint_EveryBucket_InsideBucketBounds()
    {
        // Arrange
        var last = LatencyHistogram.IndexOf(TenMinutesMicros);

        for (var i = 0; i <= last; i++)
        {
            // Act
            var mid = LatencyHistogram.Midpoint(i);

            // Assert
            Assert.InRange(mid, LatencyHistogram.LowerBound(i), LatencyHistogram.LowerBound(i + 1) - 1);
        }
    }

    [Fact]
    public void Quantile_Empty_Zero()
    {
        // Act
        var p99 = new LatencyHistogram().Quantile(0.99);

        // Assert
        Assert.Equal(0, p99);
    }

    [Fact]
    public void Quantile_SmallExactValues_NearestRank()
    {
        // Arrange: 1..10; nearest rank p50 = 5th value, p90 = 9th, p95 and p99 = 10th.
        var histogram = Fill([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);

        // Act + Assert
        Assert.Equal(5, histogram.Quantile(0.50));
        Assert.Equal(9, histogram.Quantile(0.90));
        Assert.Equal(10, histogram.Quantile(0.95));
        Assert.Equal(10, histogram.Quantile(0.99));
        Assert.Equal(1, histogram.Quantile(0));
        Assert.Equal(10, histogram.Quantile(1));
    }

    [Fact]
    public void Quantile_BimodalNearRankBoundary_PicksTheRightMode()
    {
        // Arrange: 90 fast calls (1 ms) and 10 slow ones (2 s): p90 is fast, p95 slow.
        var histogram = new LatencyHistogram();
        histogram.Add(1_000, 90);
        histogram.Add(2_000_000, 10);

        // Act
        var p90 = histogram.Quantile(0.90);
        var p91 = histogram.Quantile(0.91);

        // Assert
        Assert.InRange(p90, 985, 1_015);
        Assert.InRange(p91, 1_970_000, 2_030_000);
        Assert.Equal(100, histogram.Count);
    }

    [Fact]
    public void Add_WithCount_CountsEachSample()
    {
        // Arrange
        var histogram = new LatencyHistogram();

        // Act
        histogram.Add(250, 3);
        histogram.Add(250);
        histogram.Add(1_000_000, 2);

        // Assert
        Assert.Equal(6, histogram.Count);
        Assert.Equal(2, histogram.BucketCount);
    }

    [Fact]
    public void Add_NegativeValue_CountedInLowestBucket()
    {
        // Arrange
        var histogram = new LatencyHistogram();

        // Act
        histogram.Add(-5);

        // Assert
        Assert.Equal(1, histogram.Count);
        Assert.Equal(0, histogram.Quantile(0.5));
    }

    [Fact]
    public void Add_TenMinutes_WithinOnePointSixPercent()
    {
        // Arrange
        var histogram = Fill([TenMinutesMicros]);

        // Act
        var p50 = histogram.Quantile(0.5);

        // Assert
        Assert.InRange(p50, TenMinutesMicros * 0.984, TenMinutesMicros * 1.016);
    }

    private static bool BucketHolds(long v)
    {
        var i = LatencyHistogram.IndexOf(v);
        return LatencyHistogram.LowerBound(i) <= v && v < LatencyHistogram.LowerBound(i + 1);
    }

    private static long Bounded(int bits, int a, int b)
    {
        var raw = ((long)a << 31) | (uint)b;
        return bits == 0 ? 0 : raw & ((1L << bits) - 1);
    }

    private static LatencyHistogram Fill(long[] samples)
    {
        var h = new LatencyHistogram();
        foreach (var v in samples)
        {
            h.Add(v);
        }

        return h;
    }

    /// <summary>The smallest sample with at least q of all samples at or below it.</summary>
    private static long NearestRank(long[] sorted, double q)
    {
        var rank = (long)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    private static long[] Generate(int shape, int count, int seed)
    {
        var random = new Random(seed);
        var samples = new long[count];
        for (var i = 0; i < count; i++)
        {
            samples[i] = shape switch
            {
                // Uniform over the whole range.
                0 => random.NextInt64(1, TenMinutesMicros + 1),

                // Log-uniform: every order of magnitude equally likely.
                1 => (long)Math.Round(Math.Exp(random.NextDouble() * Math.Log(TenMinutesMicros))),

                // Exponential around 20 ms.
                2 => Math.Clamp((long)(-20_000 * Math.Log(1 - random.NextDouble())), 1, TenMinutesMicros),

                // Bimodal: fast cache hits and a slow tail.
                3 => random.NextDouble() < 0.9 ? random.NextInt64(200, 2_000) : random.NextInt64(1_000_000, 5_000_000),

                // Few distinct values (a constant service time with jitter).
                4 => 15_000 + random.Next(0, 3),

                // Tiny values, exact buckets.
                5 => random.NextInt64(1, 64),

                // Pareto tail.
                _ => Math.Clamp((long)(1_000 / Math.Pow(1 - random.NextDouble(), 1 / 1.2)), 1, TenMinutesMicros),
            };
        }

        return samples;
    }
}
