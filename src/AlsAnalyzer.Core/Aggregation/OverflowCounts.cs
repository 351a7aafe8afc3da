namespace AlsAnalyzer.Core.Aggregation;

/// <summary>Records folded into an overflow series, by dimension.</summary>
internal struct OverflowCounts
{
    public long Edges;
    public long Endpoints;
    public long Instances;

    public readonly long Total => Edges + Endpoints + Instances;

    public void Add(in OverflowCounts o)
    {
        Edges += o.Edges;
        Endpoints += o.Endpoints;
        Instances += o.Instances;
    }
}
