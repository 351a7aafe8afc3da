using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>
/// One object as stored: immutable JSON (with apiVersion/kind, as in watch events and GETs), the same
/// without apiVersion/kind (as list items are served) and a parsed copy for selectors (JsonElement
/// reads are thread-safe).
/// </summary>
internal sealed class StoredObject
{
    private StoredObject(string key, long resourceVersion, string json, string itemJson, JsonElement element)
    {
        Key = key;
        ResourceVersion = resourceVersion;
        Json = json;
        ItemJson = itemJson;
        Element = element;
    }

    /// <summary>The storage key: <c>namespace/name</c>, or <c>name</c> for cluster-scoped objects (etcd orders by it).</summary>
    public string Key { get; }

    public long ResourceVersion { get; }

    public string Json { get; }

    public string ItemJson { get; }

    public JsonElement Element { get; }

    /// <summary>Freezes <paramref name="obj"/>, which must already carry apiVersion, kind and metadata.resourceVersion.</summary>
    public static StoredObject Create(string key, long resourceVersion, JsonObject obj)
    {
        var json = obj.ToJsonString();
        var item = (JsonObject)obj.DeepClone();
        item.Remove("apiVersion");
        item.Remove("kind");
        using var document = JsonDocument.Parse(json);
        return new StoredObject(key, resourceVersion, json, item.ToJsonString(), document.RootElement.Clone());
    }

    /// <summary>A copy of this object carrying another resourceVersion (what DELETED events carry).</summary>
    public StoredObject WithResourceVersion(long resourceVersion)
    {
        var obj = Mutable();
        ((JsonObject)obj["metadata"]!)["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture);
        return Create(Key, resourceVersion, obj);
    }

    public JsonObject Mutable() => JsonNode.Parse(Json)!.AsObject();
}
