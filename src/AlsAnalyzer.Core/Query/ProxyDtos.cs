using System.Text.Json.Serialization;

namespace AlsAnalyzer.Core.Query;

/// <summary>An upstream cluster of a proxy (or of all proxies of a service, on an edge), from the metrics service.</summary>
internal sealed record ClusterDto
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Name { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Direction { get; init; }

    /// <summary>The destination: <c>ns/name</c> for a Kubernetes service fqdn, else the host.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Destination { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Port { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Subset { get; init; }

    /// <summary>Requests started in the window (increase of <c>upstream_rq_total</c>).</summary>
    public double Requests { get; init; }

    public double RequestRate { get; init; }

    public double Retries { get; init; }

    public double Timeouts { get; init; }

    public double ConnectionFailures { get; init; }

    /// <summary>Requests refused by the circuit breaker (<c>upstream_rq_pending_overflow</c>).</summary>
    public double PendingOverflows { get; init; }

    public double Connections { get; init; }

    public double ActiveRequests { get; init; }

    public double PendingRequests { get; init; }

    public double ActiveConnections { get; init; }

    public double HealthyMembers { get; init; }

    public double Members { get; init; }

    /// <summary>How many proxies these figures add up.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Proxies { get; init; }
}

internal sealed record StatDto(string Kind, double Value, double? Increase, double? Rate, IReadOnlyDictionary<string, double>? Quantiles);

internal sealed record ProxyDto
{
    public required string Id { get; init; }

    public required string Service { get; init; }

    public required string Namespace { get; init; }

    public required string Name { get; init; }

    public required string Instance { get; init; }

    public required string Role { get; init; }

    public DateTimeOffset LastReport { get; init; }

    public double? MemoryAllocated { get; init; }

    public double? MemoryHeapSize { get; init; }

    public double? MemoryPhysicalSize { get; init; }

    public double? Connections { get; init; }

    public double? WorkerThreads { get; init; }

    public double? UptimeSeconds { get; init; }

    public required IReadOnlyList<ClusterDto> Clusters { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, StatDto>? Stats { get; init; }
}

internal sealed record ProxiesDto(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<ProxyDto> Proxies);
