using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// Bounds of the decoders' lookup tables (the strings that become keys, parsed clusters, peer
/// metadata), in keys and in bytes, and how URL paths become endpoints.
/// </summary>
internal sealed class DecodingOptions : ISettings
{
    public const int DefaultMaxEndpointLength = 256;

    public static string Section => "Decoding";

    /// <summary>IPs, hosts and SPIFFE ids kept for lookup by their bytes (and as many parsed cluster names, IPs naming external nodes, and callers named by their certificate's SPIFFE id).</summary>
    public int MaxInternedStrings { get; set; } = 200_000;

    /// <summary><c>METHOD /path</c> endpoints kept for lookup by their bytes, and as many raw paths cached (the aggregation caps endpoints per service separately).</summary>
    public int MaxInternedEndpoints { get; set; } = 200_000;

    /// <summary>Distinct peer metadata payloads kept decoded, per encoding (one per workload instance in practice).</summary>
    public int MaxCachedPeers { get; set; } = 100_000;

    /// <summary>
    /// Bytes all decode tables hold together, split by <see cref="TableBytes"/>: past its share a
    /// table starts empty again (counted). 128 MiB leaves most of a 1 GiB pod to the aggregates.
    /// </summary>
    public int DecodeTableMegabytes { get; set; } = 128;

    /// <summary>Path segments that are ids (numbers, UUIDs, long hex, base64-like) become <c>{id}</c> (see <see cref="EndpointGrouping.IsId"/>).</summary>
    public bool GroupEndpointIds { get; set; } = true;

    /// <summary>Endpoint templates, comma separated, tried in order before default grouping: <c>/api/v1/orders/{orderId}/items</c>.</summary>
    public string EndpointTemplates { get; set; } = string.Empty;

    /// <summary>The longest endpoint path in bytes; longer ones keep their leading segments and end in <c>/{truncated}</c>.</summary>
    public int MaxEndpointLength { get; set; } = DefaultMaxEndpointLength;

    /// <summary>A table's share of <see cref="DecodeTableMegabytes"/>, in bytes (<see cref="DecodeTableNames"/>).</summary>
    public long TableBytes(string table)
    {
        // Shares in percent. Peers' payloads are the largest keys (up to 16 KB each); endpoints
        // hold the endpoints and the raw path cache (half each).
        var percent = table switch
        {
            DecodeTableNames.Strings => 20,
            DecodeTableNames.Endpoints => 15,
            DecodeTableNames.EndpointPaths => 15,
            DecodeTableNames.Clusters => 5,
            DecodeTableNames.Peers => 30,
            DecodeTableNames.IpNames => 10,
            DecodeTableNames.CertificateCallers => 5,
            _ => throw new ArgumentOutOfRangeException(nameof(table), table, "not a decode table"),
        };
        return (long)DecodeTableMegabytes * 1024 * 1024 * percent / 100;
    }

    /// <summary>The grouping these settings describe (templates already checked by <see cref="Validate"/>).</summary>
    public EndpointGrouping Grouping() => new(GroupEndpointIds, EndpointGrouping.SplitTemplates(EndpointTemplates), MaxEndpointLength);

    public void Validate(SettingErrors errors)
    {
        errors.Range(nameof(MaxInternedStrings), MaxInternedStrings, 0, 10_000_000);
        errors.Range(nameof(MaxInternedEndpoints), MaxInternedEndpoints, 0, 10_000_000);
        errors.Range(nameof(MaxCachedPeers), MaxCachedPeers, 0, 10_000_000);
        errors.Range(nameof(DecodeTableMegabytes), DecodeTableMegabytes, 1, 64 * 1024);
        errors.Range(nameof(MaxEndpointLength), MaxEndpointLength, 32, 4096);
        var templates = EndpointGrouping.SplitTemplates(EndpointTemplates);
        if (templates.Length > EndpointGrouping.MaxTemplates)
        {
            errors.Add($"Als:{nameof(EndpointTemplates)} has {templates.Length} templates; at most {EndpointGrouping.MaxTemplates} are allowed.");
        }

        foreach (var t in templates)
        {
            if (EndpointGrouping.Check(t) is { } problem)
            {
                errors.Add($"Als:{nameof(EndpointTemplates)}: template {problem}.");
            }
            else if (System.Text.Encoding.UTF8.GetByteCount(t) > MaxEndpointLength)
            {
                errors.Add($"Als:{nameof(EndpointTemplates)}: template '{t}' is longer than Als:{nameof(MaxEndpointLength)} ({MaxEndpointLength} bytes).");
            }
        }

        foreach (var duplicate in templates.GroupBy(t => t, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add($"Als:{nameof(EndpointTemplates)}: template '{duplicate.Key}' is listed more than once.");
        }
    }
}
