namespace AlsAnalyzer.Core.Decoding;

/// <summary>A bounded lookup table, as the self-metrics see it.</summary>
internal interface ICountedTable
{
    int Count { get; }

    int Capacity { get; }

    /// <summary>Bytes held now (an estimate: slots, kept keys and the values' own bytes).</summary>
    long Bytes { get; }

    /// <summary>Bytes held at most.</summary>
    long ByteCapacity { get; }

    /// <summary>Values made for an entry and not kept (one key alone would pass the table's bounds).</summary>
    long Overflow { get; }

    /// <summary>Times the table was emptied to stay within its bounds (a new generation).</summary>
    long Resets { get; }

    /// <summary>Sights of keys longer than the table keeps: folded or made per entry, never kept.</summary>
    long TooLong { get; }
}

/// <summary>A table with the name its self-metrics carry (<see cref="DecodeTableNames"/>).</summary>
internal sealed record NamedTable(string Name, ICountedTable Table);

/// <summary>The <c>table</c> label values of the lookup tables' self-metrics.</summary>
internal static class DecodeTableNames
{
    public const string Strings = "strings";
    public const string Endpoints = "endpoints";
    public const string EndpointPaths = "endpoint_paths";
    public const string Clusters = "clusters";
    public const string Peers = "peers";
    public const string IpNames = "ip_names";
    public const string CertificateCallers = "certificate_callers";
}
