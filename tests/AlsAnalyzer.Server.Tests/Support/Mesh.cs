using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Server.Tests.Support;

/// <summary>A bookinfo-like mesh: an ingress gateway in front of productpage and its backends.</summary>
internal static class Mesh
{
    public static readonly Workload Gateway = new("istio-system", "istio-ingressgateway", "1-24-2", "istio-ingressgateway-5c8d9f6b7c-q2w3e", "10.244.0.5")
    {
        ExtraLabels = new Dictionary<string, string> { ["istio"] = "ingressgateway" },
    };

    public static readonly Workload Productpage = new("default", "productpage", "v1", "productpage-v1-7f99cc4496-abcde", "10.244.1.10");
    public static readonly Workload ReviewsV1 = new("default", "reviews", "v1", "reviews-v1-7f99cc4496-aaaaa", "10.244.1.11");
    public static readonly Workload ReviewsV2 = new("default", "reviews", "v2", "reviews-v2-7f99cc4496-bbbbb", "10.244.1.12");
    public static readonly Workload Details = new("default", "details", "v1", "details-v1-7f99cc4496-ccccc", "10.244.1.13");
    public static readonly Workload Ratings = new("default", "ratings", "v1", "ratings-v1-7f99cc4496-ddddd", "10.244.2.14");
    public static readonly Workload Mysql = new("data", "mysql", "v1", "mysql-v1-7f99cc4496-eeeee", "10.244.2.20");
}
