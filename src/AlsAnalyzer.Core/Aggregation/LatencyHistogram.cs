using System.Diagnostics;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// A sparse log-linear histogram of microsecond values. Values below 32 are exact; above,
/// each power of two is split into 32 linear sub-buckets, so a bucket is at most 1/32 of its
/// lower bound wide and its midpoint is within 1.6% of any value in it. Buckets are stored
/// sparsely, sorted by index, because a real latency distribution fills a few dozen of the
/// ~1900 possible buckets, and thousands of histograms live in the minute ring. Each bucket is
/// one word, its index in the top 16 bits and its count in the low 48 (2.8e14 calls per
/// bucket, far beyond a minute's or a window's), so recording a value touches one array.
/// Mergeable; not thread-safe (one writer, as every aggregation structure here). A struct, held
/// inline by its owner (one pointer hop fewer per recorded call): use it in place, never a copy.
/// </summary>
internal struct LatencyHistogram
{
    private const int SubBucketBits = 5;
    private const int SubBuckets = 1 << SubBucketBits;

    private const int CountBits = 48;
    private const ulong CountMask = (1UL << CountBits) - 1;

    private ulong[]? _buckets;
    private int _length;

    public long Count { get; private set; }

    public readonly int BucketCount => _length;

    /// <summary>The bucket at <paramref name="position"/> (0 to <see cref="BucketCount"/> - 1, by index): its index and count.</summary>
    public readonly (int Index, long Count) BucketAt(int position) =>
        ((int)(_buckets![position] >> CountBits), (long)(_buckets[position] & CountMask));
    /// <summary>Buckets the array has room for (its memory: 8 bytes each).</summary>
    public readonly int Capacity => _buckets?.Length ?? 0;

    public void Add(long micros, long count = 1)
    {
        Debug.Assert(count is >= 0 and <= (long)CountMask, "a bucket count fits in 48 bits");
        var idx = IndexOf(micros);
        var pos = Find(idx);
        if (pos >= 0)
        {
            _buckets![pos] += (ulong)count;
        }
        else
        {
            Insert(~pos, idx, count);
        }

        Count += count;
    }

    public void Merge(in LatencyHistogram other)
    {
        for (var i = 0; i < other._length; i++)
        {
            var idx = (ushort)(other._buckets![i] >> CountBits);
            var count = other._buckets[i] & CountMask;
            var pos = Find(idx);
            if (pos >= 0)
            {
                _buckets![pos] += count;
            }
            else
            {
                Insert(~pos, idx, (long)count);
            }
        }

        Count += other.Count;
    }

    /// <summary>
    /// The nearest-rank quantile (the smallest value with at least <paramref name="q"/> of the
    /// samples at or below it), as the midpoint of its bucket. 0 when empty.
    /// </summary>
    public readonly double Quantile(double q)
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
            seen += (long)(_buckets![i] & CountMask);
            if (seen >= rank)
            {
                return Midpoint((int)(_buckets[i] >> CountBits));
            }
        }

        return Midpoint((int)(_buckets![_length - 1] >> CountBits));
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
    private readonly int Find(ushort idx)
    {
        var buckets = _buckets!;
        int lo = 0, hi = _length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var v = (ushort)(buckets[mid] >> CountBits);
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
        if (_buckets is null || _length == _buckets.Length)
        {
            Array.Resize(ref _buckets, Math.Max(8, _length * 2));
        }

        Array.Copy(_buckets, pos, _buckets, pos + 1, _length - pos);
        _buckets[pos] = ((ulong)idx << CountBits) | (ulong)count;
        _length++;
    }
}
