using Envoy.Data.Accesslog.V3;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// Envoy's response flags as a bit set: bit <c>n - 1</c> is the field numbered <c>n</c> in
/// <c>envoy.data.accesslog.v3.ResponseFlags</c>. Short names are Envoy's own (<c>%RESPONSE_FLAGS%</c>).
/// </summary>
internal static class ResponseFlagSet
{
    public const int Count = 28;

    private static readonly string[] ShortNames =
    [
        "LH", "UH", "UT", "LR", "UR", "UF", "UC", "UO", "NR", "DI", "FI", "RL", "UAEX", "RLSE",
        "DC", "URX", "SI", "IH", "DPE", "UMSDR", "RFCF", "NFCF", "DT", "UPE", "NC", "OM", "DF", "DR",
    ];

    // Every flag marks a failed or cut-short exchange except an injected delay (DI, bit 9)
    // and a response served from cache (RFCF, bit 20): those requests may well succeed.
    private const uint NonFailureMask = (1u << 9) | (1u << 20);

    public const uint FailureMask = ((1u << Count) - 1) & ~NonFailureMask;

    public static string ShortName(int bit) => ShortNames[bit];

    public static bool IsFailure(uint flags) => (flags & FailureMask) != 0;

    public static uint From(ResponseFlags? f)
    {
        if (f is null)
        {
            return 0;
        }

        uint m = 0;
        Set(ref m, 0, f.FailedLocalHealthcheck);
        Set(ref m, 1, f.NoHealthyUpstream);
        Set(ref m, 2, f.UpstreamRequestTimeout);
        Set(ref m, 3, f.LocalReset);
        Set(ref m, 4, f.UpstreamRemoteReset);
        Set(ref m, 5, f.UpstreamConnectionFailure);
        Set(ref m, 6, f.UpstreamConnectionTermination);
        Set(ref m, 7, f.UpstreamOverflow);
        Set(ref m, 8, f.NoRouteFound);
        Set(ref m, 9, f.DelayInjected);
        Set(ref m, 10, f.FaultInjected);
        Set(ref m, 11, f.RateLimited);
        Set(ref m, 12, f.UnauthorizedDetails is not null);
        Set(ref m, 13, f.RateLimitServiceError);
        Set(ref m, 14, f.DownstreamConnectionTermination);
        Set(ref m, 15, f.UpstreamRetryLimitExceeded);
        Set(ref m, 16, f.StreamIdleTimeout);
        Set(ref m, 17, f.InvalidEnvoyRequestHeaders);
        Set(ref m, 18, f.DownstreamProtocolError);
        Set(ref m, 19, f.UpstreamMaxStreamDurationReached);
        Set(ref m, 20, f.ResponseFromCacheFilter);
        Set(ref m, 21, f.NoFilterConfigFound);
        Set(ref m, 22, f.DurationTimeout);
        Set(ref m, 23, f.UpstreamProtocolError);
        Set(ref m, 24, f.NoClusterFound);
        Set(ref m, 25, f.OverloadManager);
        Set(ref m, 26, f.DnsResolutionFailure);
        Set(ref m, 27, f.DownstreamRemoteReset);
        return m;
    }

    /// <summary>Envoy's short form: <c>-</c> when empty, else names joined with commas.</summary>
    public static string Format(uint flags)
    {
        if (flags == 0)
        {
            return "-";
        }

        var names = new List<string>();
        for (var i = 0; i < Count; i++)
        {
            if ((flags & (1u << i)) != 0)
            {
                names.Add(ShortNames[i]);
            }
        }

        return string.Join(',', names);
    }

    private static void Set(ref uint mask, int bit, bool on)
    {
        if (on)
        {
            mask |= 1u << bit;
        }
    }
}
