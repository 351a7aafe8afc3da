namespace AlsAnalyzer.Core.Query;

/// <summary>
/// How much one answer may hold: at most <see cref="Max"/> nodes and as many edges (services,
/// for the service list), the greatest by traffic. <see cref="MaxWorkingEdges"/> bounds the
/// query's working memory: the distinct edges it tallies traffic for; the edges it meets past
/// that bound fold into the overflow edge of their protocol (counted in the answer's
/// <c>omitted.edgesFolded</c>).
/// </summary>
internal readonly record struct QueryLimit(int Max, int MaxWorkingEdges = int.MaxValue)
{
    public static readonly QueryLimit None = new(int.MaxValue);
}
