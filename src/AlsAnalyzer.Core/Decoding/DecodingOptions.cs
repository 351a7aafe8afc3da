using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>Bounds of the decoders' lookup tables (the strings that become keys, parsed clusters, peer metadata).</summary>
internal sealed class DecodingOptions : ISettings
{
    public static string Section => "Decoding";

    /// <summary>IPs, hosts and SPIFFE ids kept for lookup by their bytes (and as many parsed cluster names, and IPs naming external nodes).</summary>
    public int MaxInternedStrings { get; set; } = 200_000;

    /// <summary><c>METHOD /path</c> endpoints kept for lookup by their bytes (the aggregation caps endpoints per service separately).</summary>
    public int MaxInternedEndpoints { get; set; } = 200_000;

    /// <summary>Distinct peer metadata payloads kept decoded, per encoding (one per workload instance in practice).</summary>
    public int MaxCachedPeers { get; set; } = 100_000;

    public void Validate(SettingErrors errors)
    {
        errors.Range(nameof(MaxInternedStrings), MaxInternedStrings, 0, 10_000_000);
        errors.Range(nameof(MaxInternedEndpoints), MaxInternedEndpoints, 0, 10_000_000);
        errors.Range(nameof(MaxCachedPeers), MaxCachedPeers, 0, 10_000_000);
    }
}
