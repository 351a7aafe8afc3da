using System.Text.Json.Serialization;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Query;

// The HTTP API's JSON shapes, camelCased by the web serializer defaults. Figures that do
// not apply are omitted (an HTTP edge has no "connections", a TCP edge no "latencyMs");
// "mtls" is always present and null when unknown (only the client side reported).

internal sealed record TopologyDto(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<NodeDto> Nodes, IReadOnlyList<EdgeDto> Edges)
{
    /// <summary>True when the answer holds only the busiest nodes and edges (<see cref="Omitted"/> says what is missing).</summary>
    [JsonPropertyOrder(-1)]
    public bool Truncated { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyOrder(-1)]
    public OmittedDto? Omitted { get; init; }

    /// <summary>The Kubernetes cache's state when it is enabled: answers from a stale cache may name fewer peers.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public KubernetesStatusDto? Kubernetes { get; init; }
}

internal sealed record KubernetesStatusDto(bool Synced, bool Stale, int Addresses);

internal sealed record NodeDto(string Id, string Name, string Namespace, string Kind);

internal sealed record LatencyDto(double Avg, double P50, double P90, double P95, double P99);

/// <summary>Figures of one side, or the chosen side at an edge's top level.</summary>
internal record FiguresDto
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Requests { get; init; }

    public long Errors { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, long>? StatusCodes { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LatencyDto? LatencyMs { get; init; }

    /// <summary>Share (0..1) of calls over mutual TLS, as the server side saw them; null when unknown.</summary>
    public double? Mtls { get; init; }

    public long BytesSent { get; init; }

    public long BytesReceived { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Connections { get; init; }

    /// <summary>TCP: connections first seen in the window (<see cref="Connections"/> counts those that ended).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? ConnectionsOpened { get; init; }

    /// <summary>Calls the mesh refused (BlackHoleCluster); absent when none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Blocked { get; init; }

    /// <summary>Calls that bypassed the service registry (passthrough clusters); absent when none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Passthrough { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, long>? ResponseFlags { get; init; }
}

/// <summary>Figures with the client-reported and server-reported figures beside them (absent when that side never reported).</summary>
internal abstract record SidedFiguresDto : FiguresDto
{
    protected SidedFiguresDto(FiguresDto figures)
        : base(figures)
    {
    }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyOrder(100)]
    public FiguresDto? Client { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyOrder(101)]
    public FiguresDto? Server { get; init; }
}

internal sealed record EdgeDto : SidedFiguresDto
{
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public EdgeDto(FiguresDto figures, string source, string target, string protocol, string reportedBy)
        : base(figures)
    {
        Source = source;
        Target = target;
        Protocol = protocol;
        ReportedBy = reportedBy;
    }

    [JsonPropertyOrder(-4)]
    public required string Source { get; init; }

    [JsonPropertyOrder(-3)]
    public required string Target { get; init; }

    [JsonPropertyOrder(-2)]
    public required string Protocol { get; init; }

    /// <summary>Which side the top-level figures come from: <c>server</c> or <c>client</c>.</summary>
    [JsonPropertyOrder(-1)]
    public required string ReportedBy { get; init; }

    /// <summary>The source proxies' upstream cluster figures for this destination, from the metrics service.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyOrder(102)]
    public ClusterDto? UpstreamCluster { get; init; }
}

internal sealed record ServiceSummaryDto(
    string Id,
    string Name,
    string Namespace,
    string Kind,
    long Requests,
    double RequestRate,
    long Errors,
    double ErrorRate,
    LatencyDto? LatencyMs,
    long Connections);

internal sealed record ServicesDto(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<ServiceSummaryDto> Services)
{
    /// <summary>True when the list holds only the services with the most inbound calls (<see cref="Omitted"/> says what is missing).</summary>
    [JsonPropertyOrder(-1)]
    public bool Truncated { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyOrder(-1)]
    public OmittedDto? Omitted { get; init; }
}

internal sealed record InstanceDto(string Name, long Inbound, long InboundErrors, long Outbound);

internal sealed record EndpointDto : SidedFiguresDto
{
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public EndpointDto(FiguresDto figures, string endpoint, string protocol)
        : base(figures)
    {
        Endpoint = endpoint;
        Protocol = protocol;
    }

    [JsonPropertyOrder(-2)]
    public required string Endpoint { get; init; }

    [JsonPropertyOrder(-1)]
    public required string Protocol { get; init; }

}

internal sealed record ServiceDetailDto(
    DateTimeOffset From,
    DateTimeOffset To,
    ServiceSummaryDto Service,
    IReadOnlyList<InstanceDto> Instances,
    IReadOnlyList<EndpointDto> Endpoints,
    IReadOnlyList<EdgeDto> Inbound,
    IReadOnlyList<EdgeDto> Outbound)
{
    /// <summary>The service's proxies as the metrics service reports them.</summary>
    public IReadOnlyList<ProxyDto> Proxies { get; init; } = [];

    /// <summary>True when instances, endpoints or edges hold only the busiest (<see cref="Omitted"/> says what is missing).</summary>
    [JsonPropertyOrder(-1)]
    public bool Truncated { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyOrder(-1)]
    public OmittedDto? Omitted { get; init; }
}
