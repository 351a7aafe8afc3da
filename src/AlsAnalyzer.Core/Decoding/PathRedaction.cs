namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// Keeps credentials that clients put in URL paths out of endpoints, and so out of every API
/// answer, label and sample: <see cref="EndpointGrouping"/> applies it to every segment (after
/// dropping matrix parameters, <c>/cart;jsessionid=ABC/items</c> is <c>/cart/items</c>), whether
/// or not default grouping is on.
/// <list type="bullet">
/// <item>A segment that looks like a secret becomes <c>{redacted}</c>: a JWT (starts with
/// <c>eyJ</c>, at least <see cref="MinJwtLength"/> bytes) or a token of at least
/// <see cref="MinTokenLength"/> bytes from the base64/hex/URL-safe alphabet holding both a
/// letter and a digit (API keys, session ids, hashes; undashed UUIDs are caught as well, which
/// also keeps such ids from multiplying endpoints).</item>
/// </list>
/// </summary>
internal static class PathRedaction
{
    public const int MinJwtLength = 16;
    public const int MinTokenLength = 32;

    public static ReadOnlySpan<byte> Placeholder => "{redacted}"u8;

    /// <summary>Whether a path segment (without matrix parameters) looks like a secret.</summary>
    internal static bool LooksLikeSecret(ReadOnlySpan<byte> segment)
    {
        var end = segment.IndexOf((byte)';');
        if (end >= 0)
        {
            segment = segment[..end];
        }

        if (segment.Length >= MinJwtLength && segment.StartsWith("eyJ"u8) && segment.Contains((byte)'.'))
        {
            return true;
        }

        if (segment.Length < MinTokenLength)
        {
            return false;
        }

        bool letter = false, digit = false;
        foreach (var b in segment)
        {
            if (b is >= (byte)'0' and <= (byte)'9')
            {
                digit = true;
            }
            else if (b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z'))
            {
                letter = true;
            }
            else if (b is not ((byte)'-' or (byte)'_' or (byte)'.' or (byte)'~' or (byte)'+' or (byte)'=' or (byte)'%'))
            {
                return false;
            }
        }

        return letter && digit;
    }
}
