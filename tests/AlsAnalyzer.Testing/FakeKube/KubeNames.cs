using System.Security.Cryptography;
using System.Text;

namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>Deterministic stand-ins for the random parts controllers put in names and ids, derived from a seed.</summary>
internal static class KubeNames
{
    /// <summary>The alphabet of Kubernetes' random name suffixes (no vowels, no look-alikes).</summary>
    private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary><paramref name="length"/> characters of the suffix alphabet: 10 for a pod-template-hash, 5 for a generated name.</summary>
    public static string Suffix(string seed, int length)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(seed));
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = Alphabet[hash[i % hash.Length] % Alphabet.Length];
        }

        return new string(chars);
    }

    /// <summary>A UUID (version 4 layout) for metadata.uid.</summary>
    public static string Uid(string seed)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes("uid:" + seed))[..16];
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes).ToString();
    }

    /// <summary>64 hex digits, as container and image ids carry.</summary>
    public static string Hex64(string seed) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("hex:" + seed)));
}
