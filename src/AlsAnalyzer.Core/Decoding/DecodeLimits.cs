using System.Text;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// Limits both decoders apply in the same way, so that they agree on every entry: the longest
/// string kept as a name (a host, a SPIFFE id), and the size estimates of the tables' values.
/// </summary>
internal static class DecodeLimits
{
    /// <summary>
    /// The longest host or SPIFFE id, in UTF-8 bytes, taken as one: longer ones become
    /// <see cref="TooLong"/>. A DNS name has at most 253 bytes and SPIFFE ids in meshes a few
    /// dozen; 2048 is the SPIFFE specification's own maximum.
    /// </summary>
    public const int MaxKeyBytes = 2048;

    /// <summary>What a name longer than <see cref="MaxKeyBytes"/> becomes.</summary>
    public const string TooLong = "(too long)";

    /// <summary>The reference decoder's fold of a name, as <see cref="InternTable.InternUtf8"/> folds it.</summary>
    public static string Fold(string name) =>
        name.Length * 3 > MaxKeyBytes && Encoding.UTF8.GetByteCount(name) > MaxKeyBytes ? TooLong : name;

    /// <summary>A string's heap bytes: header, length, UTF-16 characters and terminator, padded to 8 bytes as the heap lays it out.</summary>
    public static long StringBytes(string s) => (22 + (2L * s.Length) + 7) & ~7L;
}
