namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// Keeps credentials that clients put in URL paths out of endpoints, and so out of every API
/// answer, label and sample. Both decoders call it on the path's UTF-8 bytes (without query
/// or fragment), so they agree byte for byte.
/// <list type="bullet">
/// <item>Matrix parameters are dropped: <c>/cart;jsessionid=ABC/items</c> becomes <c>/cart/items</c>.</item>
/// <item>A segment that looks like a secret becomes <c>{redacted}</c>: a JWT (starts with
/// <c>eyJ</c>, at least <see cref="MinJwtLength"/> bytes) or a token of at least
/// <see cref="MinTokenLength"/> bytes from the base64/hex/URL-safe alphabet holding both a
/// letter and a digit (API keys, session ids, hashes; undashed UUIDs are caught as well, which
/// also keeps such ids from multiplying endpoints).</item>
/// </list>
/// The check is a vectorised search for <c>;</c> and one pass over segments longer than
/// <see cref="MinJwtLength"/>; a path that needs nothing is returned untouched, without copying.
/// </summary>
internal static class PathRedaction
{
    public const int MinJwtLength = 16;
    public const int MinTokenLength = 32;

    public static ReadOnlySpan<byte> Placeholder => "{redacted}"u8;

    /// <summary>Whether <see cref="Redact"/> would change <paramref name="path"/>.</summary>
    public static bool NeedsRedaction(ReadOnlySpan<byte> path)
    {
        if (path.Length < MinJwtLength)
        {
            return path.Contains((byte)';');
        }

        if (path.Contains((byte)';'))
        {
            return true;
        }

        var rest = path;
        while (!rest.IsEmpty)
        {
            var slash = rest.IndexOf((byte)'/');
            var segment = slash < 0 ? rest : rest[..slash];
            if (segment.Length >= MinJwtLength && LooksLikeSecret(segment))
            {
                return true;
            }

            rest = slash < 0 ? default : rest[(slash + 1)..];
        }

        return false;
    }

    /// <summary>
    /// Writes the redacted <paramref name="path"/> to <paramref name="destination"/> (at least as
    /// long as the path: the result is never longer) and returns its length.
    /// </summary>
    public static int Redact(ReadOnlySpan<byte> path, Span<byte> destination)
    {
        var written = 0;
        var rest = path;
        var first = true;
        while (true)
        {
            var slash = rest.IndexOf((byte)'/');
            var segment = slash < 0 ? rest : rest[..slash];
            if (!first)
            {
                destination[written++] = (byte)'/';
            }

            var semicolon = segment.IndexOf((byte)';');
            if (semicolon >= 0)
            {
                segment = segment[..semicolon];
            }

            // Placeholder (10 bytes) is shorter than any segment it replaces (16 or more).
            var output = segment.Length >= MinJwtLength && LooksLikeSecret(segment) ? Placeholder : segment;
            output.CopyTo(destination[written..]);
            written += output.Length;
            first = false;
            if (slash < 0)
            {
                return written;
            }

            rest = rest[(slash + 1)..];
        }
    }

    /// <summary>The reference decoder's form: same rules, over a string.</summary>
    public static string Redact(string path)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path);
        if (!NeedsRedaction(bytes))
        {
            return path;
        }

        var output = new byte[bytes.Length];
        var n = Redact(bytes, output);
        return System.Text.Encoding.UTF8.GetString(output, 0, n);
    }

    private static bool LooksLikeSecret(ReadOnlySpan<byte> segment)
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
