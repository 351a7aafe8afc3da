namespace AlsAnalyzer.Core.Aggregation;

/// <summary>Putting back minutes kept elsewhere (a snapshot written before a restart).</summary>
internal sealed partial class Aggregator
{
    /// <summary>
    /// Merges <paramref name="minutes"/> into the ring as the collector merges a shard: the
    /// cardinality caps apply (what they fold is counted), minutes before
    /// <paramref name="oldestMinute"/> are dropped, and records already in the ring are kept.
    /// Returns the minutes merged.
    /// </summary>
    public int Restore(long oldestMinute, IEnumerable<KeyValuePair<long, MinuteBucket>> minutes, in OverflowCounts overflowSinceStart)
    {
        lock (_storeLock)
        {
            var merged = 0;
            foreach (var (minute, bucket) in minutes)
            {
                if (minute < oldestMinute)
                {
                    continue;
                }

                MergeLocked(minute, bucket);
                merged++;
            }

            _overflowTotal.Add(overflowSinceStart);
            BoundRingLocked();
            return merged;
        }
    }
}
