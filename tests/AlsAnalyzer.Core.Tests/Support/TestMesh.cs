using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Core.Tests.Support;

/// <summary>The workloads the Core tests talk about: Bookinfo plus an ingress gateway.</summary>
internal static class TestMesh
{
    public static readonly Workload ProductPage = new("default", "productpage", "v1", "productpage-v1-6b746f74dc-9stvs", "10.244.1.10");

    public static readonly Workload ReviewsV1 = new("default", "reviews", "v1", "reviews-v1-7f99cc4496-abcde", "10.244.1.20");

    public static readonly Workload ReviewsV2 = new("default", "reviews", "v2", "reviews-v2-5b667bcbf8-fghij", "10.244.1.21");

    public static readonly Workload Ratings = new("default", "ratings", "v1", "ratings-v1-85c74b6cb4-klmno", "10.244.1.30");

    public static readonly Workload Details = new("backend", "details", "v1", "details-v1-65599dcf88-pqrst", "10.244.2.40");

    public static readonly Workload IngressGateway = new("istio-system", "istio-ingressgateway", "v1", "istio-ingressgateway-6cf8b6c6d8-uvwxy", "10.244.0.5")
    {
        ExtraLabels = new Dictionary<string, string> { ["istio"] = "ingressgateway" },
    };

    public static readonly Workload Waypoint = new("default", "waypoint", "v1", "waypoint-7d9c6b5f4d-zzzzz", "10.244.1.99")
    {
        ExtraLabels = new Dictionary<string, string> { ["gateway.networking.k8s.io/gateway-name"] = "waypoint" },
    };

    /// <summary>A fixed server clock: 2025-01-15 12:30:20 UTC (20 s into a minute).</summary>
    public static readonly DateTimeOffset Now = new(2025, 1, 15, 12, 30, 20, TimeSpan.Zero);

    public static long MinuteOf(DateTimeOffset t) => t.ToUnixTimeSeconds() / 60;
}
