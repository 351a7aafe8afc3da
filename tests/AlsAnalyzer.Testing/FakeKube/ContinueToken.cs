using System.Buffers.Text;
using System.Text.Json;

namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>
/// The opaque <c>continue</c> token of a paged list, encoded as the real API server does: base64url of
/// <c>{"v":"meta.k8s.io/v1","rv":N,"start":"key\u0000"}</c>, naming the list's snapshot and the next key.
/// An <c>rv</c> of -1 asks for the latest state (the token a 410 for an expired continue hands back).
/// </summary>
internal static class ContinueToken
{
    private const string TokenVersion = "meta.k8s.io/v1";

    public static string Encode(long resourceVersion, string lastKey)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["v"] = TokenVersion,
            ["rv"] = resourceVersion,
            ["start"] = lastKey + "\0",
        });
        return Base64Url.EncodeToString(json);
    }

    public static bool TryDecode(string token, out long resourceVersion, out string start, out string error)
    {
        resourceVersion = 0;
        start = string.Empty;
        error = string.Empty;
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(token);
        }
        catch (FormatException ex)
        {
            error = "continue key is not valid: " + ex.Message;
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var root = doc.RootElement;
            if (!root.TryGetProperty("v", out var v) || v.GetString() != TokenVersion)
            {
                error = "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)";
                return false;
            }

            resourceVersion = root.GetProperty("rv").GetInt64();
            start = root.GetProperty("start").GetString() ?? string.Empty;
            if (start.Length == 0)
            {
                error = "continue key is not valid: encoded start key empty";
                return false;
            }

            return true;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            error = "continue key is not valid: " + ex.Message;
            return false;
        }
    }
}
