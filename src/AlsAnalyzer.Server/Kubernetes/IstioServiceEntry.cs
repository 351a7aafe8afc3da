using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace AlsAnalyzer.Server.Kubernetes;

/// <summary>
/// The part of an Istio <c>networking.istio.io/v1</c> ServiceEntry the cache reads; the client
/// library has no model for Istio's custom resources.
/// </summary>
internal sealed class IstioServiceEntry : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "networking.istio.io";
    public const string Version = "v1";
    public const string Plural = "serviceentries";
    public const string KindName = "ServiceEntry";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = Group + "/" + Version;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KindName;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public IstioServiceEntrySpec? Spec { get; set; }
}

internal sealed class IstioServiceEntrySpec
{
    [JsonPropertyName("hosts")]
    public IList<string>? Hosts { get; set; }

    [JsonPropertyName("addresses")]
    public IList<string>? Addresses { get; set; }

    /// <summary><c>MESH_EXTERNAL</c> or <c>MESH_INTERNAL</c>.</summary>
    [JsonPropertyName("location")]
    public string? Location { get; set; }

    /// <summary><c>NONE</c>, <c>STATIC</c>, <c>DNS</c>, <c>DNS_ROUND_ROBIN</c>.</summary>
    [JsonPropertyName("resolution")]
    public string? Resolution { get; set; }

    [JsonPropertyName("endpoints")]
    public IList<IstioWorkloadEntry>? Endpoints { get; set; }
}

internal sealed class IstioWorkloadEntry
{
    [JsonPropertyName("address")]
    public string? Address { get; set; }
}

internal sealed class IstioServiceEntryList : IKubernetesObject<V1ListMeta>, IItems<IstioServiceEntry>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = IstioServiceEntry.Group + "/" + IstioServiceEntry.Version;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = IstioServiceEntry.KindName + "List";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<IstioServiceEntry> Items { get; set; } = [];
}
