namespace AlsAnalyzer.Core.Decoding;

/// <summary>A bounded lookup table, as the self-metrics see it.</summary>
internal interface ICountedTable
{
    int Count { get; }

    int Capacity { get; }

    /// <summary>Lookups that missed a full table: the value was made for the entry and not kept.</summary>
    long Overflow { get; }
}

/// <summary>A table with the name its self-metrics carry (<see cref="DecodeTableNames"/>).</summary>
internal sealed record NamedTable(string Name, ICountedTable Table);

/// <summary>The <c>table</c> label values of the lookup tables' self-metrics.</summary>
internal static class DecodeTableNames
{
    public const string Strings = "strings";
    public const string Endpoints = "endpoints";
    public const string Clusters = "clusters";
    public const string Peers = "peers";
    public const string IpNames = "ip_names";
}
