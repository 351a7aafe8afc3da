using System.Text;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// Turns a URL path (UTF-8, without query or fragment) into the path of its endpoint, so that
/// REST paths carrying ids (<c>/users/12345</c>) make one endpoint (<c>/users/{id}</c>), not
/// one per id. In order:
/// <list type="number">
/// <item>Matrix parameters are dropped (<c>/cart;jsessionid=ABC/items</c> is <c>/cart/items</c>).</item>
/// <item>The first user template (<see cref="DecodingOptions.EndpointTemplates"/>) with as many
/// segments as the path whose literal segments all equal the path's becomes the endpoint, as
/// written (<c>/api/v1/orders/{orderId}/items</c>).</item>
/// <item>Otherwise each segment is kept, except: with default grouping on, a UUID becomes
/// <c>{id}</c>; a secret (<see cref="PathRedaction"/>) becomes <c>{redacted}</c>, always; and
/// with default grouping on, another id becomes <c>{id}</c> (<see cref="IsId"/>).</item>
/// <item>A result longer than the limit keeps its whole leading segments that fit and ends in
/// <c>/{truncated}</c>.</item>
/// </list>
/// Both decoders call it, the fast one only on a lookup table miss, so its cost is per distinct
/// raw path, not per entry.
/// </summary>
internal sealed class EndpointGrouping
{
    /// <summary>What a segment recognised as an id becomes.</summary>
    public const string IdPlaceholder = "{id}";

    /// <summary>What ends a path cut at the length limit.</summary>
    public const string TruncatedPlaceholder = "{truncated}";

    /// <summary>Templates accepted at most (they are tried in order on each new raw path).</summary>
    public const int MaxTemplates = 500;

    /// <summary>The shortest hex-only segment taken for an id (a hash, an ObjectId, a commit), when it has a digit.</summary>
    public const int MinHexIdLength = 8;

    /// <summary>The shortest base64-alphabet segment taken for an id.</summary>
    public const int MinBase64IdLength = 16;

    private readonly Template[][] _bySegments;

    public EndpointGrouping(bool groupIds, IReadOnlyList<string> templates, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, TruncatedPlaceholder.Length + 2);
        GroupIds = groupIds;
        MaxLength = maxLength;
        var parsed = new List<Template>();
        foreach (var t in templates)
        {
            var template = Template.Parse(t) ?? throw new ArgumentException(Check(t), nameof(templates));
            if (template.Text.Length > maxLength)
            {
                throw new ArgumentException($"'{t}' is longer than the endpoint length limit ({maxLength} bytes)", nameof(templates));
            }

            parsed.Add(template);
        }

        var maxSegments = parsed.Count == 0 ? 0 : parsed.Max(t => t.Segments.Length);
        _bySegments = new Template[maxSegments + 1][];
        for (var n = 0; n <= maxSegments; n++)
        {
            _bySegments[n] = [.. parsed.Where(t => t.Segments.Length == n)];
        }

        TemplateCount = parsed.Count;
    }

    /// <summary>Default grouping, no templates, endpoints of at most 256 bytes.</summary>
    public static EndpointGrouping Default { get; } = new(groupIds: true, [], DecodingOptions.DefaultMaxEndpointLength);

    public bool GroupIds { get; }

    public int MaxLength { get; }

    public int TemplateCount { get; }

    /// <summary>The templates of a setting: comma separated, blanks ignored.</summary>
    public static string[] SplitTemplates(string? setting) =>
        (setting ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>What is wrong with a template, or null when it is valid.</summary>
    public static string? Check(string template)
    {
        if (template.Length == 0 || template[0] != '/')
        {
            return $"'{template}' must start with '/'";
        }

        if (template.Length > 1024)
        {
            return $"'{template[..32]}...' is longer than 1024 characters";
        }

        if (template.IndexOfAny(['?', '#', ';', ' ']) >= 0)
        {
            return $"'{template}' must not hold '?', '#', ';' or spaces (query strings and matrix parameters are dropped before matching)";
        }

        var segments = template[1..].Split('/');
        if (template.Length > 1 && segments.Any(s => s.Length == 0))
        {
            return $"'{template}' has an empty segment";
        }

        foreach (var s in segments)
        {
            var open = s.IndexOf('{', StringComparison.Ordinal);
            var close = s.IndexOf('}', StringComparison.Ordinal);
            if (open < 0 && close < 0)
            {
                continue;
            }

            if (open != 0 || close != s.Length - 1 || s.Length < 3 || s[1..^1].IndexOfAny(['{', '}']) >= 0)
            {
                return $"'{template}': a placeholder must be a whole segment such as {{id}} (found '{s}')";
            }
        }

        return null;
    }

    /// <summary>
    /// Whether a segment (without matrix parameters) is an id: digits only; a UUID
    /// (8-4-4-4-12 hex digits); at least <see cref="MinHexIdLength"/> hex digits with a digit
    /// among them; or at least <see cref="MinBase64IdLength"/> bytes of <c>A-Za-z0-9+=_-</c>
    /// with a digit and either both letter cases or no <c>-</c>/<c>_</c> (so that lower-case
    /// slugs such as <c>summer-sale-2024-banner</c> stay).
    /// </summary>
    public static bool IsId(ReadOnlySpan<byte> segment)
    {
        if (segment.IsEmpty)
        {
            return false;
        }

        bool digit = false, lower = false, upper = false, nonHex = false, separator = false;
        foreach (var b in segment)
        {
            if (b is >= (byte)'0' and <= (byte)'9')
            {
                digit = true;
            }
            else if (b is >= (byte)'a' and <= (byte)'z')
            {
                lower = true;
                nonHex |= b > (byte)'f';
            }
            else if (b is >= (byte)'A' and <= (byte)'Z')
            {
                upper = true;
                nonHex |= b > (byte)'F';
            }
            else if (b is (byte)'-' or (byte)'_')
            {
                separator = true;
                nonHex = true;
            }
            else if (b is not ((byte)'+' or (byte)'='))
            {
                return false;
            }
            else
            {
                nonHex = true;
            }
        }

        if (!digit)
        {
            return false;
        }

        if (!lower && !upper && !nonHex)
        {
            // Digits only (nonHex is false as well).
            return true;
        }

        if (IsUuid(segment))
        {
            return true;
        }

        if (!nonHex && segment.Length >= MinHexIdLength)
        {
            return true;
        }

        return segment.Length >= MinBase64IdLength && (lower && upper || !separator);
    }

    /// <summary>
    /// Writes the endpoint path of <paramref name="path"/> to <paramref name="destination"/>
    /// (at least <see cref="MaxLength"/> bytes) and returns its length; sets
    /// <paramref name="truncated"/> when the result was cut at <see cref="MaxLength"/>.
    /// </summary>
    public int Group(ReadOnlySpan<byte> path, Span<byte> destination, out bool truncated)
    {
        truncated = false;
        if (TemplateCount > 0 && MatchTemplate(path) is { } template)
        {
            template.Text.CopyTo(destination);
            return template.Text.Length;
        }

        var written = 0;

        // The end of the last whole segment after which "/{truncated}" still fits.
        var lastFit = 0;
        var rest = path;
        var first = true;
        while (true)
        {
            var slash = rest.IndexOf((byte)'/');
            var segment = slash < 0 ? rest : rest[..slash];
            var semicolon = segment.IndexOf((byte)';');
            if (semicolon >= 0)
            {
                segment = segment[..semicolon];
            }

            var output = Segment(segment);
            var need = (first ? 0 : 1) + output.Length;
            if (written + need > MaxLength)
            {
                truncated = true;
                destination[lastFit] = (byte)'/';
                "{truncated}"u8.CopyTo(destination[(lastFit + 1)..]);
                return lastFit + 1 + TruncatedPlaceholder.Length;
            }

            if (!first)
            {
                destination[written++] = (byte)'/';
            }

            output.CopyTo(destination[written..]);
            written += output.Length;
            if (written + 1 + TruncatedPlaceholder.Length <= MaxLength)
            {
                lastFit = written;
            }

            first = false;
            if (slash < 0)
            {
                return written;
            }

            rest = rest[(slash + 1)..];
        }
    }

    /// <summary>A UUID is an id; else a secret is redacted; else another id is an id.</summary>
    private ReadOnlySpan<byte> Segment(ReadOnlySpan<byte> segment)
    {
        if (GroupIds && IsUuid(segment))
        {
            return "{id}"u8;
        }

        if (segment.Length >= PathRedaction.MinJwtLength && PathRedaction.LooksLikeSecret(segment))
        {
            return PathRedaction.Placeholder;
        }

        return GroupIds && IsId(segment) ? "{id}"u8 : segment;
    }

    /// <summary>The reference decoder's form, over a string.</summary>
    public string Group(string path)
    {
        var bytes = Encoding.UTF8.GetBytes(path);
        var output = new byte[MaxLength];
        var n = Group(bytes, output, out _);
        return output.AsSpan(0, n).SequenceEqual(bytes) ? path : Encoding.UTF8.GetString(output, 0, n);
    }

    private static bool IsUuid(ReadOnlySpan<byte> s)
    {
        if (s.Length != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
        {
            return false;
        }

        for (var i = 0; i < s.Length; i++)
        {
            if (i is 8 or 13 or 18 or 23)
            {
                continue;
            }

            if (!char.IsAsciiHexDigit((char)s[i]))
            {
                return false;
            }
        }

        return true;
    }

    private Template? MatchTemplate(ReadOnlySpan<byte> path)
    {
        // Count segments (a path is "/a/b": segments after each slash).
        var count = path.Count((byte)'/');
        if (count >= _bySegments.Length || _bySegments[count].Length == 0 || path.IsEmpty || path[0] != '/')
        {
            return null;
        }

        foreach (var t in _bySegments[count])
        {
            if (t.Matches(path))
            {
                return t;
            }
        }

        return null;
    }

    private sealed class Template
    {
        private Template(byte[] text, byte[]?[] segments)
        {
            Text = text;
            Segments = segments;
        }

        public byte[] Text { get; }

        /// <summary>Literal segments as bytes, placeholders as null.</summary>
        public byte[]?[] Segments { get; }

        public static Template? Parse(string template)
        {
            if (Check(template) is not null)
            {
                return null;
            }

            var segments = template[1..].Split('/')
                .Select(s => s.StartsWith('{') ? null : Encoding.UTF8.GetBytes(s))
                .ToArray();
            return new Template(Encoding.UTF8.GetBytes(template), segments);
        }

        public bool Matches(ReadOnlySpan<byte> path)
        {
            var rest = path[1..];
            foreach (var literal in Segments)
            {
                var slash = rest.IndexOf((byte)'/');
                var segment = slash < 0 ? rest : rest[..slash];
                var semicolon = segment.IndexOf((byte)';');
                if (semicolon >= 0)
                {
                    segment = segment[..semicolon];
                }

                if (literal is null ? segment.IsEmpty : !segment.SequenceEqual(literal))
                {
                    return false;
                }

                rest = slash < 0 ? default : rest[(slash + 1)..];
            }

            return true;
        }
    }
}
