namespace AlsAnalyzer.Core.Aggregation;

/// <summary>What one instance (pod) of a service reported for itself.</summary>
internal sealed class InstanceStats
{
    /// <summary>Requests or connections it served, as its own (server-side) proxy reported them.</summary>
    public long Inbound;

    public long InboundErrors;

    /// <summary>Requests or connections it made, as its own (client-side) proxy reported them.</summary>
    public long Outbound;

    public void Merge(InstanceStats o)
    {
        Inbound += o.Inbound;
        InboundErrors += o.InboundErrors;
        Outbound += o.Outbound;
    }
}
