using Google.Protobuf.WellKnownTypes;

namespace AlsAnalyzer.Core.Identity;

/// <summary>
/// Case-insensitive reads from <see cref="Struct"/>: Istio's node metadata uses upper-case
/// keys (<c>NAMESPACE</c>) and the peer Struct lower-case ones (<c>namespace</c>).
/// </summary>
internal static class StructExtensions
{
    public static Value? Find(this Struct? s, string key)
    {
        if (s is null)
        {
            return null;
        }

        if (s.Fields.TryGetValue(key, out var exact))
        {
            return exact;
        }

        foreach (var (k, v) in s.Fields)
        {
            if (string.Equals(k, key, StringComparison.OrdinalIgnoreCase))
            {
                return v;
            }
        }

        return null;
    }

    public static string GetString(this Struct? s, string key)
    {
        var v = s.Find(key);
        return v is { KindCase: Value.KindOneofCase.StringValue } ? v.StringValue : string.Empty;
    }

    public static Struct? GetStruct(this Struct? s, string key)
    {
        var v = s.Find(key);
        return v is { KindCase: Value.KindOneofCase.StructValue } ? v.StructValue : null;
    }
}
