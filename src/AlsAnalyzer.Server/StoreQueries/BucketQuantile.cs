namespace AlsAnalyzer.Server.StoreQueries;

/// <summary>
/// The quantile of one group of cumulative histogram buckets, as PromQL's
/// <c>histogram_quantile</c> computes it (Prometheus and VictoriaMetrics agree on these rules, tested against both):
/// the rank <c>q x count</c> is found in the first bucket whose cumulative count reaches it
/// and placed linearly between that bucket's lower bound (the previous bucket's upper bound,
/// 0 for the first) and its upper bound; a rank in the <c>+Inf</c> bucket answers the last
/// finite bound. So the store returns the bucket rows once and the replica computes every
/// quantile of every group from them, instead of one <c>histogram_quantile</c> query per quantile.
/// </summary>
internal static class BucketQuantile
{
    /// <summary>
    /// The <paramref name="q"/>-quantile of <paramref name="cumulative"/> (counts at or below each
    /// of <paramref name="upperBounds"/>, ascending, the last <c>+Inf</c>). NaN when there is no
    /// observation, no <c>+Inf</c> bucket or fewer than two buckets. Counts that go down from one
    /// bucket to the next (or are NaN) are taken as the previous bucket's, as the stores do.
    /// <paramref name="cumulative"/> is not changed. (Older VictoriaMetrics releases, 1.79 among them, repair such
    /// buckets the other way, lowering the earlier bucket; they arise only from a reset of some
    /// but not all of one histogram's buckets.)
    /// </summary>
    public static double Of(double q, ReadOnlySpan<double> upperBounds, ReadOnlySpan<double> cumulative)
    {
        if (upperBounds.Length != cumulative.Length)
        {
            throw new ArgumentException("one count per bound", nameof(cumulative));
        }

        if (double.IsNaN(q))
        {
            return double.NaN;
        }

        if (q < 0)
        {
            return double.NegativeInfinity;
        }

        if (q > 1)
        {
            return double.PositiveInfinity;
        }

        var n = upperBounds.Length;
        if (n < 2 || !double.IsPositiveInfinity(upperBounds[n - 1]))
        {
            return double.NaN;
        }

        // Counts that go down from one bucket to the next (or are NaN) are the previous bucket's.
        Span<double> counts = n <= 64 ? stackalloc double[n] : new double[n];
        var max = 0.0;
        for (var i = 0; i < n; i++)
        {
            max = cumulative[i] > max ? cumulative[i] : max;
            counts[i] = max;
        }

        var observations = counts[n - 1];
        if (!(observations > 0))
        {
            return double.NaN;
        }

        var rank = q * observations;
        var previous = 0.0;
        for (var b = 0; b < n - 1; b++)
        {
            var count = counts[b];
            if (count < rank || count <= 0)
            {
                previous = count;
                continue;
            }

            var upper = upperBounds[b];
            if (b == 0 && upper <= 0)
            {
                return upper;
            }

            var lower = b == 0 ? 0 : upperBounds[b - 1];
            return lower + ((upper - lower) * ((rank - previous) / (count - previous)));
        }

        // The rank is in the +Inf bucket: the last finite bound is all that is known.
        return upperBounds[n - 2];
    }
}
