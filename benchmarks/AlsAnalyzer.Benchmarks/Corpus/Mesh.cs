using Envoy.Config.Core.V3;

namespace AlsAnalyzer.Benchmarks.Corpus;

/// <summary>
/// A deterministic synthetic mesh: <see cref="ServiceCount"/> services (<c>svcN</c> in
/// <c>ns(N % 10)</c>) with <see cref="EndpointsPerService"/> pods each, a call graph in which
/// every service calls 2-6 services with a higher index, and an ingress gateway calling the
/// services nobody else calls. About one service in five speaks gRPC.
/// </summary>
internal sealed class Mesh
{
    public const int ServiceCount = 200;
    public const int EndpointsPerService = 20;
    public const int NamespaceCount = 10;
    public const int Port = 9080;

    private Mesh(List<MeshService> services, MeshService gateway)
    {
        Services = services;
        Gateway = gateway;
        var pods = new List<MeshPod>();
        foreach (var s in services)
        {
            pods.AddRange(s.Pods);
        }

        Pods = pods;
    }

    public IReadOnlyList<MeshService> Services { get; }

    /// <summary>All pods of <see cref="Services"/> (not the gateway's), in service order.</summary>
    public IReadOnlyList<MeshPod> Pods { get; }

    public MeshService Gateway { get; }

    public static Mesh Create(int seed)
    {
        var random = new Random(seed);
        var services = new List<MeshService>(ServiceCount);
        for (var i = 0; i < ServiceCount; i++)
        {
            var service = new MeshService
            {
                Index = i,
                Name = "svc" + i,
                Namespace = "ns" + (i % NamespaceCount),
                ClusterIp = $"10.96.{i / 250}.{(i % 250) + 1}",
                Grpc = random.Next(5) == 0,
            };
            AddEndpoints(service, random);
            var versions = i % 3 == 0 ? 2 : 1;
            var hashes = new[] { RandomName(random, 10), RandomName(random, 10) };
            for (var p = 0; p < EndpointsPerService; p++)
            {
                var v = versions == 2 && p >= EndpointsPerService * 3 / 4 ? 1 : 0;
                var version = "v" + (v + 1);
                var podIndex = (i * EndpointsPerService) + p;
                service.Pods.Add(new MeshPod
                {
                    Service = service,
                    Version = version,
                    Workload = service.Name + "-" + version,
                    PodTemplateHash = hashes[v],
                    Name = $"{service.Name}-{version}-{hashes[v]}-{RandomName(random, 5)}",
                    Ip = $"10.244.{podIndex / 250}.{(podIndex % 250) + 2}",
                });
            }

            services.Add(service);
        }

        var gateway = new MeshService
        {
            Index = -1,
            Name = "istio-ingressgateway",
            Namespace = "istio-system",
            ClusterIp = "10.96.255.10",
            Grpc = false,
            IsGateway = true,
        };
        var gatewayHash = RandomName(random, 10);
        for (var p = 0; p < 2; p++)
        {
            gateway.Pods.Add(new MeshPod
            {
                Service = gateway,
                Version = "1.24.2",
                Workload = gateway.Name,
                PodTemplateHash = gatewayHash,
                Name = $"{gateway.Name}-{gatewayHash}-{RandomName(random, 5)}",
                Ip = $"10.244.250.{p + 2}",
            });
        }

        foreach (var s in services)
        {
            var calls = 2 + random.Next(5);
            for (var c = 0; c < calls && s.Index + 1 < ServiceCount; c++)
            {
                var callee = services[random.Next(s.Index + 1, ServiceCount)];
                if (!s.Callees.Contains(callee))
                {
                    s.Callees.Add(callee);
                    callee.Callers.Add(s);
                }
            }
        }

        foreach (var s in services)
        {
            // The gateway calls the roots of the graph, and a few others, as real front doors do.
            if (s.Callers.Count == 0 || s.Index % 25 == 0)
            {
                s.Callers.Add(gateway);
                gateway.Callees.Add(s);
            }
        }

        return new Mesh(services, gateway);
    }

    private static void AddEndpoints(MeshService service, Random random)
    {
        if (service.Grpc)
        {
            var package = $"mesh.{service.Name}.v1.{char.ToUpperInvariant(service.Name[0])}{service.Name[1..]}Service";
            foreach (var method in new[] { "Get", "List", "Create", "Update", "Watch", "Check" })
            {
                service.Endpoints.Add((RequestMethod.Post, $"/{package}/{method}"));
            }

            return;
        }

        var resources = new[] { "items", "orders", "users", "reviews", "ratings", "carts", "products", "sessions" };
        var resource = resources[random.Next(resources.Length)];
        service.Endpoints.Add((RequestMethod.Get, "/healthz"));
        service.Endpoints.Add((RequestMethod.Get, $"/api/v1/{resource}"));
        service.Endpoints.Add((RequestMethod.Get, $"/api/v1/{resource}/{{id}}"));
        service.Endpoints.Add((RequestMethod.Get, $"/api/v1/{resource}/{{id}}/details"));
        service.Endpoints.Add((RequestMethod.Get, $"/api/v1/{resource}?page={{id}}&limit=50"));
        service.Endpoints.Add((RequestMethod.Post, $"/api/v1/{resource}"));
        service.Endpoints.Add((RequestMethod.Put, $"/api/v1/{resource}/{{id}}"));
        service.Endpoints.Add((RequestMethod.Delete, $"/api/v1/{resource}/{{id}}"));
    }

    private static string RandomName(Random random, int length)
    {
        const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(length, random, static (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[r.Next(Alphabet.Length)];
            }
        });
    }
}
