namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// The reference decoder's parsed cluster names, by their string: a mesh has a bounded set of
/// them and every entry names one, so parsing (which splits strings) happens once per name.
/// Bounded as <see cref="BoundedStringCache{T}"/>, like the fast path's byte-keyed tables.
/// </summary>
internal sealed class ClusterNameCache(int capacity, long maxBytes = long.MaxValue) : BoundedStringCache<ParsedCluster>(capacity, maxBytes)
{
    public ParsedCluster Parse(string name) => name.Length == 0 ? ClusterNames.Empty : GetOrCreate(name);

    /// <summary>A parsed cluster's own bytes besides its name (its host and the node's names are copies of parts of it).</summary>
    internal static long ParsedClusterBytes(ParsedCluster parsed) => 96 + (4L * parsed.Name.Length);

    protected override ParsedCluster Create(string key) => ClusterNames.Create(key);

    protected override long ValueBytes(ParsedCluster value) => ParsedClusterBytes(value);
}
