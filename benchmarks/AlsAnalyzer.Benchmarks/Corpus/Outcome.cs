using Envoy.Data.Accesslog.V3;

namespace AlsAnalyzer.Benchmarks.Corpus;

/// <summary>How a call ended: status code (0 = no response), Envoy's details, and response flags.</summary>
internal sealed record Outcome(uint Status, string Details, Action<ResponseFlags>? SetFlags = null, string FailureReason = "", bool UpstreamResponded = true, bool UpstreamConnected = true, uint Attempts = 1)
{
    /// <summary>Weights per 10,000 calls: mostly 2xx, some 3xx/4xx, a few upstream failures with their flags.</summary>
    public static IReadOnlyList<(int Weight, Outcome Outcome)> Mix { get; } =
    [
        (8820, new Outcome(200, "via_upstream")),
        (200, new Outcome(201, "via_upstream")),
        (100, new Outcome(204, "via_upstream")),
        (100, new Outcome(304, "via_upstream")),
        (150, new Outcome(400, "via_upstream")),
        (50, new Outcome(401, "via_upstream")),
        (50, new Outcome(403, "via_upstream")),
        (250, new Outcome(404, "via_upstream")),
        (40, new Outcome(429, "local_rate_limited", f => f.RateLimited = true, UpstreamResponded: false, UpstreamConnected: false)),
        (100, new Outcome(500, "via_upstream")),
        (40, new Outcome(503, "upstream_reset_before_response_started{remote_connection_failure,delayed_connect_error:_Connection_refused}", f => f.UpstreamConnectionFailure = true, "delayed_connect_error:_Connection_refused", UpstreamResponded: false)),
        (20, new Outcome(503, "no_healthy_upstream", f => f.NoHealthyUpstream = true, UpstreamResponded: false, UpstreamConnected: false)),
        (10, new Outcome(503, "upstream_reset_before_response_started{overflow}", f => f.UpstreamOverflow = true, UpstreamResponded: false, UpstreamConnected: false)),
        (10, new Outcome(503, "upstream_reset_before_response_started{connection_termination}", f => { f.UpstreamConnectionTermination = true; f.UpstreamRetryLimitExceeded = true; }, UpstreamResponded: false, Attempts: 3)),
        (30, new Outcome(504, "response_timeout", f => f.UpstreamRequestTimeout = true, UpstreamResponded: false)),
        (30, new Outcome(0, "downstream_remote_disconnect", f => f.DownstreamConnectionTermination = true, UpstreamResponded: false)),
    ];

    public static Outcome Pick(Random random)
    {
        var roll = random.Next(10_000);
        foreach (var (weight, outcome) in Mix)
        {
            if (roll < weight)
            {
                return outcome;
            }

            roll -= weight;
        }

        return Mix[0].Outcome;
    }
}
