namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// A sparse log-linear histogram of microsecond values. Values below 32 are exact; above,
/// each power of two is split into 32 linear sub-buckets, so a bucket is at most 1/32 of its
/// lower bound wide and its midpoint is within 1.6% of any value in it. Buckets are stored
/// sparsely (sorted index/count arrays) because a real latency distribution fills a few
/// dozen of the ~1900 possible buckets, and thousands of histograms live in the minute ring.
/// Mergeable; not thread-safe (one writer, as every aggregation structure here).
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 5;
    private const int SubBuckets = 1 << SubBucketBits;

    private ushort[] _index = [];
    private long[] _counts = [];
    private int _length;

    public long Count { get; private set; }

    public int BucketCount => _length;

    public void Add(long micros, long count = 1)
    {
        var idx = IndexOf(micros);
        var pos = Find(idx);
        if (pos >= 0)
        {
            _counts[pos] += count;
        }
        else
        {
            Insert(~pos, idx, count);
        }

        Count += count;
    }

    public void Merge(LatencyHistogram other)
    {
        for (var i = 0; i < other._length; i++)
        {
            var pos = Find(other._index[i]);
            if (pos >= 0)
            {
                _counts[pos] += other._counts[i];
            }
            else
            {
                Insert(~pos, other._index[i], other._counts[i]);
            }
        }

        Count += other.Count;
    }

    /// <summary>
    /// The nearest-rank quantile (the smallest value with at least <paramref name="q"/> of the
    /// samples at or below it), as the midpoint of its bucket. 0 when empty.
    /// </summary>
    public double Quantile(double q)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(q * Count);
        rank = Math.Clamp(rank, 1, Count);
        long seen = 0;
        for (var i = 0; i < _length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Midpoint(_index[i]);
            }
        }

        return Midpoint(_index[_length - 1]);
    }

    internal static ushort IndexOf(long micros)
    {
        if (micros < SubBuckets)
        {
            return (ushort)Math.Max(0, micros);
        }

        var exponent = 63 - (int)long.LeadingZeroCount(micros);
        var sub = (int)(micros >> (exponent - SubBucketBits)) - SubBuckets;
        return (ushort)(SubBuckets + ((exponent - SubBucketBits) * SubBuckets) + sub);
    }

    internal static long LowerBound(int index)
    {
        if (index < SubBuckets)
        {
            return index;
        }

        var octave = (index - SubBuckets) / SubBuckets;
        var sub = (index - SubBuckets) % SubBuckets;
        return (long)(SubBuckets + sub) << octave;
    }

    internal static double Midpoint(int index)
    {
        if (index < SubBuckets)
        {
            return index;
        }

        var low = LowerBound(index);
        var width = 1L << ((index - SubBuckets) / SubBuckets);
        return low + ((width - 1) / 2.0);
    }

    /// <summary>As <see cref="Array.BinarySearch(Array, object)"/> over the used part of the index: the position, else its complement.</summary>
    private int Find(ushort idx)
    {
        var index = _index;
        int lo = 0, hi = _length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var v = index[mid];
            if (v == idx)
            {
                return mid;
            }

            if (v < idx)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }

    private void Insert(int pos, ushort idx, long count)
    {
        if (_length == _index.Length)
        {
            var size = Math.Max(8, _length * 2);
            Array.Resize(ref _index, size);
            Array.Resize(ref _counts, size);
        }

        Array.Copy(_index, pos, _index, pos + 1, _length - pos);
        Array.Copy(_counts, pos, _counts, pos + 1, _length - pos);
        _index[pos] = idx;
        _counts[pos] = count;
        _length++;
    }
}
