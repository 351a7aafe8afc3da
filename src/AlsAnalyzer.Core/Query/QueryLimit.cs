namespace AlsAnalyzer.Core.Query;

/// <summary>
/// How much one answer may hold: at most <see cref="Max"/> nodes and as many edges (services,
/// for the service list), the greatest by traffic.
/// </summary>
internal readonly record struct QueryLimit(int Max)
{
    public static readonly QueryLimit None = new(int.MaxValue);
}
