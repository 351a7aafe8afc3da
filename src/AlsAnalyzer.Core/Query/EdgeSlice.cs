using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Query;

/// <summary>
/// The edges and gateways of one minute bucket (or of an already folded window), read in place:
/// the bounded queries stream over these instead of folding the window into a copy.
/// </summary>
internal readonly record struct EdgeSlice(Dictionary<EdgeKey, EdgeStats> Edges, HashSet<NodeRef> Gateways)
{
    public static EdgeSlice Of(MinuteBucket bucket) => new(bucket.Edges, bucket.Gateways);

    public static EdgeSlice Of(WindowView view) => new(view.Edges, view.Gateways);

    public static IReadOnlyList<EdgeSlice> Of(IReadOnlyList<KeyValuePair<long, MinuteBucket>> minutes)
    {
        var slices = new EdgeSlice[minutes.Count];
        for (var i = 0; i < slices.Length; i++)
        {
            slices[i] = Of(minutes[i].Value);
        }

        return slices;
    }
}
