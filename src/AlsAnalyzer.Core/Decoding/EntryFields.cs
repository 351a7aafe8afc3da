using Envoy.Data.Accesslog.V3;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// How an entry's wire values become facts, shared by both decoders so that they agree:
/// durations in microseconds, method names, the host of an authority, final TCP entries.
/// </summary>
internal static class EntryFields
{
    internal static bool IsFinalTcpEntry(AccessLogType type, bool intermediate) => type switch
    {
        AccessLogType.TcpConnectionEnd => true,
        AccessLogType.NotSet => !intermediate,
        _ => false,
    };

    internal static long Micros(long seconds, int nanos) => Math.Max(0, (seconds * 1_000_000) + (nanos / 1_000));

    internal static string MethodName(int method) => method switch
    {
        1 => "GET",
        2 => "HEAD",
        3 => "POST",
        4 => "PUT",
        5 => "DELETE",
        6 => "CONNECT",
        7 => "OPTIONS",
        8 => "TRACE",
        9 => "PATCH",
        _ => "-",
    };

    /// <summary>The host part of an authority: <c>api.example.com:443</c> -> <c>api.example.com</c>, IPv6 brackets kept.</summary>
    internal static string HostOf(string authority)
    {
        // User-info (user:password@) is a credential, never part of a node id.
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            authority = authority[(at + 1)..];
        }

        if (authority.Length == 0)
        {
            return authority;
        }

        if (authority[0] == '[')
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            return close > 0 ? authority[..(close + 1)] : authority;
        }

        var colon = authority.LastIndexOf(':');
        return colon > 0 ? authority[..colon] : authority;
    }
}
