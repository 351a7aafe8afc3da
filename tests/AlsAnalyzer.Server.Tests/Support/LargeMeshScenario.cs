using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Server.Tests.Support;

/// <summary>
/// A mesh of 300 nodes in six tiers: the callers from outside, the ingress gateway, 12 web front ends, 60 APIs in four
/// namespaces, 150 backends (some with long names), 75 databases over TCP, and one external
/// host. One API's calls to its backends fail half the time (failing); one web front end's
/// calls to one API fail 1 in 20 (degraded).
/// </summary>
internal static class LargeMeshScenario
{
    public const int Webs = 12;
    public const int ApisPerWeb = 5;
    public const int Apis = Webs * ApisPerWeb;
    public const int BackendsPerApi = 3;
    public const int Backends = 150;
    public const int Databases = 75;

    /// <summary>With the callers outside the mesh, in front of the gateway (one "unknown" node).</summary>
    public const int Nodes = 1 + 1 + Webs + Apis + Backends + Databases + 1;

    public const int Edges = 1 + Webs + Apis + (Apis * BackendsPerApi) + Databases + 1;

    /// <summary>Its calls to its three backends fail every other time.</summary>
    public const int FailingApi = 7;

    /// <summary>web-03 calls api-15 twenty times, one of which fails: 5 %, degraded.</summary>
    public const int DegradedWeb = 3;

    public const string ExternalHost = "api.partner.example";

    private static readonly string[] Namespaces = ["shop", "catalog", "payments", "users"];

    private static readonly string[] BackendKinds =
    [
        "inventory-reconciliation-worker", "orders", "pricing-engine", "recommendations", "search-indexer",
        "cart", "notifications-dispatcher", "ledger", "profile", "shipping-quotes",
    ];

    public static Workload Web(int i) => Workload("shop", $"web-{i:D2}", 1, i);

    public static Workload Api(int i) => Workload(Namespaces[i % Namespaces.Length], $"api-{i:D2}", 2, i);

    public static Workload Backend(int i) => Workload(Namespaces[i % Namespaces.Length], $"{BackendKinds[i % BackendKinds.Length]}-{i:D3}", 3, i);

    public static Workload Database(int i) => Workload("data", $"db-{i:D2}", 4, i);

    public static StreamSender Build(DateTimeOffset start)
    {
        var s = new StreamSender();
        for (var w = 0; w < Webs; w++)
        {
            for (var i = 0; i < 2; i++)
            {
                var call = new HttpCall { Source = Mesh.Gateway, Destination = Web(w), Path = "/", Start = start };
                s.Http(Testing.Nodes.Router(Mesh.Gateway), Calls.Gateway(call));
                s.Http(Testing.Nodes.Sidecar(Web(w)), Calls.Inbound(call));
            }

            for (var k = 0; k < ApisPerWeb; k++)
            {
                var api = (w * ApisPerWeb) + k;
                var degraded = w == DegradedWeb && k == 0;
                var count = degraded ? 20 : 2;
                for (var i = 0; i < count; i++)
                {
                    Http(s, Web(w), Api(api), "/api/" + i, degraded && i == 0 ? 503u : 200u, start);
                }
            }
        }

        for (var a = 0; a < Apis; a++)
        {
            for (var k = 0; k < BackendsPerApi; k++)
            {
                var backend = ((a * BackendsPerApi) + k) % Backends;
                for (var i = 0; i < 2; i++)
                {
                    Http(s, Api(a), Backend(backend), "/items/" + i, a == FailingApi && i == 0 ? 500u : 200u, start);
                }
            }
        }

        for (var d = 0; d < Databases; d++)
        {
            var conn = new TcpCall { Source = Backend(d), Destination = Database(d), Start = start };
            s.Tcp(Testing.Nodes.Sidecar(Backend(d)), Calls.TcpOutbound(conn));
            s.Tcp(Testing.Nodes.Sidecar(Database(d)), Calls.TcpInbound(conn));
        }

        var external = Calls.Outbound(new HttpCall { Source = Api(0), Destination = Backend(0), Path = "/v1/quotes", Start = start });
        external.CommonProperties.UpstreamCluster = "PassthroughCluster";
        external.CommonProperties.FilterStateObjects.Clear();
        external.CommonProperties.UpstreamRemoteAddress = Calls.Socket("198.51.100.30", 443);
        external.Request.Authority = ExternalHost + ":443";
        s.Http(Testing.Nodes.Sidecar(Api(0)), external);
        return s;
    }

    private static void Http(StreamSender s, Workload source, Workload destination, string path, uint status, DateTimeOffset start)
    {
        var call = new HttpCall { Source = source, Destination = destination, Path = path, Status = status, Start = start };
        s.Http(Testing.Nodes.Sidecar(source), Calls.Outbound(call));
        s.Http(Testing.Nodes.Sidecar(destination), Calls.Inbound(call));
    }

    private static Workload Workload(string ns, string app, int tier, int i) =>
        new(ns, app, "v1", $"{app}-v1-7f99cc4496-{tier}{i:D4}", $"10.{100 + tier}.{i / 200}.{(i % 200) + 10}");
}
