using System.Globalization;
using AlsAnalyzer.Core.Query;

namespace AlsAnalyzer.Server.Api;

/// <summary>Parses <c>from</c>/<c>to</c> (RFC 3339 or unix seconds) into a query window.</summary>
internal static class WindowParser
{
    public static bool TryParse(string? from, string? to, DateTimeOffset now, int defaultMinutes, out QueryWindow window, out string error)
    {
        window = default;
        error = string.Empty;
        var end = now;
        if (!string.IsNullOrEmpty(to) && !TryTime(to, out end))
        {
            error = $"Query parameter 'to' is '{to}'; expected RFC 3339 (2026-01-02T03:04:05Z) or unix seconds, from 1970 to 9999.";
            return false;
        }

        var start = end.AddMinutes(-defaultMinutes);
        if (!string.IsNullOrEmpty(from) && !TryTime(from, out start))
        {
            error = $"Query parameter 'from' is '{from}'; expected RFC 3339 (2026-01-02T03:04:05Z) or unix seconds, from 1970 to 9999.";
            return false;
        }

        if (start >= end)
        {
            error = $"Query parameter 'from' ({start:O}) must be before 'to' ({end:O}).";
            return false;
        }

        window = new QueryWindow(start, end);
        return true;
    }

    private static bool TryTime(string text, out DateTimeOffset value)
    {
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
        {
            if (seconds is >= 0 and <= 253_402_300_799)
            {
                value = DateTimeOffset.FromUnixTimeSeconds(seconds);
                return true;
            }

            value = default;
            return false;
        }

        // Before 1970 (e.g. 0001-01-01) is out of range as for unix seconds: a default window
        // ending there would start before the first representable time.
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value)
            && (text.Contains('T', StringComparison.OrdinalIgnoreCase) || text.Contains(' ', StringComparison.Ordinal))
            && value >= DateTimeOffset.UnixEpoch;
    }
}
