using System.Text.Json.Serialization;

namespace AlsAnalyzer.Core.Query;

/// <summary>
/// What a truncated answer left out: nodes, edges (or services, or a service's instances and endpoints), the calls they carried and
/// that share (0..1) of the window's calls in the answer's scope.
/// <see cref="EdgesFolded"/>: edge-minutes met after the query's working set was full (its
/// share of the memory budget), tallied into the overflow edge of their protocol; their calls
/// are in <see cref="Calls"/> unless shown in that overflow edge; the edges among them are not
/// in <see cref="Edges"/> nor their nodes in <see cref="Nodes"/>.
/// </summary>
internal sealed record OmittedDto(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Nodes,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Edges,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Services,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Instances,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Endpoints,
    long Calls,
    double TrafficShare)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? EdgesFolded { get; init; }

    public static double Share(long part, long total) => total <= 0 ? 0 : Math.Round(part / (double)total, 4);
}
