using System.Text;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// An IP as an entry logs it, kept as the text's bytes when they fit in 16 ASCII bytes (every
/// IPv4 address, short IPv6 ones), else as a string. The fast decoder fills one with two loads
/// instead of a table lookup, and only the analyses that need an IP look at it: the
/// Kubernetes index looks it up by these bytes (lower-cased), and a string is made (interned)
/// only where a node is named after an IP. One representation per text, whichever decoder made it, so
/// equal texts are equal values.
/// </summary>
internal readonly record struct IpText
{
    private const int InlineBytes = ShortBytes.Max;

    private readonly ulong _lo;
    private readonly ulong _hi;
    private readonly int _inlineLength;
    private readonly string? _text;

    private IpText(ulong lo, ulong hi, int inlineLength)
    {
        _lo = lo;
        _hi = hi;
        _inlineLength = inlineLength;
    }

    private IpText(string text) => _text = text;

    public bool IsEmpty => _inlineLength == 0 && _text is null;

    public int Length => _text?.Length ?? _inlineLength;

    /// <summary>Held as inline bytes (not as a string).</summary>
    public bool IsInline => _inlineLength > 0;

    /// <summary>From the address bytes of an entry; longer or non-ASCII texts go through <paramref name="strings"/>.</summary>
    public static IpText FromUtf8(ReadOnlySpan<byte> utf8, InternTable strings)
    {
        if (utf8.IsEmpty)
        {
            return default;
        }

        if (utf8.Length <= InlineBytes)
        {
            var (lo, hi) = ShortBytes.Pack(utf8);

            // A high bit set anywhere is a non-ASCII byte (the padding is zeros).
            if (((lo | hi) & 0x8080808080808080UL) == 0)
            {
                return new IpText(lo, hi, utf8.Length);
            }
        }

        return new IpText(strings.InternUtf8(utf8));
    }

    /// <summary>From a decoded string (the reference decoder), in the same representation as <see cref="FromUtf8"/>.</summary>
    public static IpText FromString(string text)
    {
        if (text.Length == 0)
        {
            return default;
        }

        if (text.Length <= InlineBytes && Ascii.IsValid(text))
        {
            Span<byte> ascii = stackalloc byte[InlineBytes];
            var n = Encoding.ASCII.GetBytes(text, ascii);
            var (lo, hi) = ShortBytes.Pack(ascii[..n]);
            return new IpText(lo, hi, n);
        }

        return new IpText(text);
    }

    /// <summary>Writes the text as characters; <paramref name="chars"/> holds at least <see cref="Length"/>.</summary>
    public ReadOnlySpan<char> AsChars(Span<char> chars)
    {
        if (_text is not null)
        {
            return _text;
        }

        Span<byte> bytes = stackalloc byte[InlineBytes];
        WriteBytes(bytes);
        var n = Encoding.ASCII.GetChars(bytes[.._inlineLength], chars);
        return chars[..n];
    }

    /// <summary>Case-insensitively the same text as <paramref name="other"/> (IPv6 hex digits may be either case); never for empty.</summary>
    public bool SameAs(string other)
    {
        if (IsEmpty || other.Length != Length)
        {
            return false;
        }

        Span<char> chars = stackalloc char[InlineBytes];
        return AsChars(chars).Equals(other, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The same text with ASCII letters in lower case (IPv6 hex digits may come in either case);
    /// a string-held text is returned as it is.
    /// </summary>
    public IpText ToLowerAscii()
    {
        // Digits, '.' and ':' (all an IPv4 text holds) are below 0x40: no letter to fold.
        if (_inlineLength == 0 || ((_lo | _hi) & 0x4040404040404040UL) == 0)
        {
            return this;
        }

        Span<byte> bytes = stackalloc byte[InlineBytes];
        WriteBytes(bytes);
        for (var i = 0; i < _inlineLength; i++)
        {
            if (bytes[i] is >= (byte)'A' and <= (byte)'Z')
            {
                bytes[i] |= 0x20;
            }
        }

        var (lo, hi) = ShortBytes.Pack(bytes[.._inlineLength]);
        return new IpText(lo, hi, _inlineLength);
    }

    /// <summary>The text as a string, interned in <paramref name="strings"/> (for naming a node after an IP).</summary>
    public string ToInternedString(InternTable strings)
    {
        if (_text is not null)
        {
            return _text;
        }

        if (_inlineLength == 0)
        {
            return string.Empty;
        }

        Span<byte> bytes = stackalloc byte[InlineBytes];
        WriteBytes(bytes);
        return strings.InternUtf8(bytes[.._inlineLength]);
    }

    public override string ToString()
    {
        Span<char> chars = stackalloc char[InlineBytes];
        return _text ?? AsChars(chars).ToString();
    }

    private void WriteBytes(Span<byte> bytes) => ShortBytes.Unpack(_lo, _hi, bytes);
}
