using System.Diagnostics;
using System.Globalization;
using AlsAnalyzer.Benchmarks.Cli;
using AlsAnalyzer.Core.Ingest;
using AlsAnalyzer.Testing;
using AlsAnalyzer.Testing.FakeKube;
using k8s;
using k8s.Models;

namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>
/// <c>churn</c>: the server watches the list/watch fake holding N pods in S services while R
/// pods per second are replaced (deleted, and a new one added with a new IP, as in a rollout).
/// Reports the server's CPU share over the churn (from /proc) and how long new pods' IPs take
/// to resolve: one new pod at a time is probed with an inbound entry from its IP until the
/// server attributes it, every 100 ms (the probes add a few entries and two scrapes per
/// attempt to the load; <c>--no-probe</c> measures the CPU without them). With <c>--slices</c>
/// every service also has an EndpointSlice listing its pods, and each replacement updates the
/// slice of the old pod's service and of the new one's, as the EndpointSlice controller would.
/// With <c>--warmup W</c> the churn runs W seconds before the measured window opens, so that
/// the runtime's start-up work (tiering hot methods up, which a server that has run for a
/// while has done) falls outside it; the CPU of every 5 s from the start is printed either way.
/// </summary>
internal static class ChurnCommand
{
    private const int Workers = 16;

    public static async Task<int> RunAsync(CliArgs args)
    {
        var smoke = args.Flag("smoke");
        var o = smoke ? ChurnOptions.Smoke : new ChurnOptions();
        o = o with
        {
            Pods = args.Int("pods", o.Pods),
            Services = args.Int("services", o.Services),
            Rate = args.Double("rate", o.Rate),
            Duration = args.Int("duration", o.Duration),
            Warmup = args.Int("warmup", o.Warmup),
            ServerDll = args.String("server"),
            Probe = !args.Flag("no-probe"),
            Slices = args.Flag("slices"),
        };
        args.RejectUnknown();
        return await RunAsync(o).ConfigureAwait(false);
    }

    public static async Task<int> RunAsync(ChurnOptions o)
    {
        Console.WriteLine($"churn: {o.Pods} pods in {o.Services} services{(o.Slices ? " with EndpointSlices" : string.Empty)}, {o.Rate} replacements/s for {o.Duration} s{(o.Warmup > 0 ? $" after {o.Warmup} s of warm-up" : string.Empty)}; {ProcInfo.MachineDescription()}");
        await using var kube = await FakeKubeApiServer.StartAsync().ConfigureAwait(false);
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"als-churn-{Environment.ProcessId}.kubeconfig");
        kube.WriteKubeconfig(kubeconfig);
        try
        {
            var (live, services) = Fill(kube, o);
            var members = Enumerable.Range(0, o.Services).Select(_ => new List<V1Pod>()).ToArray();
            for (var i = 0; i < live.Count; i++)
            {
                members[i % o.Services].Add(live[i]);
            }

            var serviceOf = Enumerable.Range(0, live.Count).Select(i => i % o.Services).ToList();
            if (o.Slices)
            {
                kube.AddAll([.. services.Select((s, i) => KubeObjects.EndpointSlice(s, [.. members[i]]))]);
            }

            var sync = Stopwatch.StartNew();
            await using var server = await ServerProcess.StartAsync(
                o.ServerDll ?? ServerProcess.DefaultServerDll(),
                IngestOptions.Analyze,
                ["--Als:Kubernetes=on", "--Als:KubeconfigPath=" + kubeconfig],
                CancellationToken.None,
                waitReady: true).ConfigureAwait(false);
            Console.WriteLine($"churn: ready in {sync.Elapsed.TotalSeconds:F1} s, RSS {server.RssKb / 1024} MB");
            using var client = new AlsClient(server.GrpcAddress);
            var reporter = live[0];

            var next = o.Pods;
            var probes = new List<double>();
            var warmup = TimeSpan.FromSeconds(o.Warmup);
            var cpuStart = server.CpuTicks;
            var clock = Stopwatch.StartNew();
            using var stop = new CancellationTokenSource(warmup + TimeSpan.FromSeconds(o.Duration));
            NewPod? newest = null;
            var replaced = 0;

            // The server's CPU every 5 s from the start, and where the measured window opens.
            var windows = new List<long>();
            var sampler = Task.Run(async () =>
            {
                var last = cpuStart;
                for (var i = 1; ; i++)
                {
                    var due = TimeSpan.FromSeconds(5 * i);
                    if (!await DelayUntilAsync(clock, due, stop.Token).ConfigureAwait(false))
                    {
                        return;
                    }

                    var ticks = server.CpuTicks;
                    windows.Add(ticks - last);
                    last = ticks;
                }
            });
            var measureFrom = Task.Run(async () =>
            {
                await DelayUntilAsync(clock, warmup, stop.Token).ConfigureAwait(false);
                return (Ticks: server.CpuTicks, Seconds: clock.Elapsed.TotalSeconds, Replaced: Volatile.Read(ref replaced));
            });
            var churn = Task.Run(async () =>
            {
                var random = new Random(17);
                while (!stop.IsCancellationRequested)
                {
                    // Paced by the schedule, not by the calls' own time.
                    var due = TimeSpan.FromSeconds(replaced / o.Rate);
                    if (due > clock.Elapsed)
                    {
                        await Task.Delay(due - clock.Elapsed).ConfigureAwait(false);
                    }

                    var victim = 1 + random.Next(live.Count - 1);
                    var old = live[victim];
                    kube.Delete<V1Pod>(old.Metadata.NamespaceProperty, old.Metadata.Name);
                    var pod = kube.Add(Pod(o, next));
                    live[victim] = pod;
                    if (o.Slices)
                    {
                        var (from, to) = (serviceOf[victim], next % o.Services);
                        members[from].Remove(old);
                        members[to].Add(pod);
                        kube.Upsert(KubeObjects.EndpointSlice(services[from], [.. members[from]]));
                        kube.Upsert(KubeObjects.EndpointSlice(services[to], [.. members[to]]));
                    }

                    serviceOf[victim] = next++ % o.Services;
                    Volatile.Write(ref newest, new NewPod(pod, clock.Elapsed));
                    Interlocked.Increment(ref replaced);
                }
            });

            var unresolved = 0;
            NewPod? probed = null;
            while (o.Probe && !stop.IsCancellationRequested)
            {
                if (Volatile.Read(ref newest) is not { } target || ReferenceEquals(target, probed))
                {
                    await Task.Delay(50).ConfigureAwait(false);
                    continue;
                }

                probed = target;
                var resolved = false;
                while (clock.Elapsed - target.Added < TimeSpan.FromSeconds(10))
                {
                    if (await KnownAsync(server, client, target.Pod, reporter).ConfigureAwait(false))
                    {
                        if (target.Added >= warmup)
                        {
                            probes.Add((clock.Elapsed - target.Added).TotalSeconds);
                        }

                        resolved = true;
                        break;
                    }

                    await Task.Delay(100).ConfigureAwait(false);
                }

                unresolved += resolved || target.Added < warmup ? 0 : 1;
            }

            await Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            await churn.ConfigureAwait(false);
            await sampler.ConfigureAwait(false);
            var measured = await measureFrom.ConfigureAwait(false);
            var seconds = clock.Elapsed.TotalSeconds - measured.Seconds;
            var replacedCount = Volatile.Read(ref replaced) - measured.Replaced;
            var cpu = (server.CpuTicks - measured.Ticks) / (double)ProcInfo.TicksPerSecond;
            var metrics = await server.ScrapeAsync().ConfigureAwait(false);
            probes.Sort();
            Console.WriteLine($"churn: {replacedCount} pods replaced in {seconds:F1} s ({replacedCount / seconds:F1}/s){(o.Warmup > 0 ? $", measured after {measured.Seconds:F1} s of warm-up" : string.Empty)}");
            Console.WriteLine($"churn: server CPU {cpu:F2} s = {100 * cpu / seconds:F1}% of a core; RSS {server.RssKb / 1024} MB");
            Console.WriteLine($"churn: server CPU by 5 s from the churn's start, % of a core: {string.Join(' ', windows.Select(t => (100.0 * t / ProcInfo.TicksPerSecond / 5).ToString("F1", CultureInfo.InvariantCulture)))}");
            Console.WriteLine(!o.Probe ? "churn: not probed (--no-probe)" : probes.Count == 0
                ? "churn: no new pod was probed"
                : $"churn: new pod IP resolves in median {Percentile(probes, 0.5):F2} s, p95 {Percentile(probes, 0.95):F2} s, max {probes[^1]:F2} s ({probes.Count} probed, {unresolved} not within 10 s)");
            Console.WriteLine($"churn: index addresses {metrics.Get("als_kube_index_addresses")}");
            return !o.Probe || (probes.Count > 0 && unresolved == 0) ? 0 : 1;
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }

    /// <summary>Sends one inbound entry from <paramref name="caller"/>'s IP to the reporter; true when the server attributed it.</summary>
    private static async Task<bool> KnownAsync(ServerProcess server, AlsClient client, V1Pod caller, V1Pod reporter)
    {
        var before = (await server.ScrapeAsync().ConfigureAwait(false)).Get("als_entries_analyzed_total");
        var call = new HttpCall { Source = Workload(caller), Destination = Workload(reporter), Encoding = PeerEncoding.None, Mtls = false };
        await client.SendAsync([Calls.HttpMessage([Calls.Inbound(call)], Nodes.Sidecar(Workload(reporter)))]).ConfigureAwait(false);
        return (await server.ScrapeAsync().ConfigureAwait(false)).Get("als_entries_analyzed_total") > before;
    }

    /// <summary>Waits until <paramref name="clock"/> reads <paramref name="due"/>; false when stopped first.</summary>
    private static async Task<bool> DelayUntilAsync(Stopwatch clock, TimeSpan due, CancellationToken stop)
    {
        if (due > clock.Elapsed)
        {
            await Task.Delay(due - clock.Elapsed, stop).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }

        return !stop.IsCancellationRequested;
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static Workload Workload(V1Pod pod) =>
        new(pod.Metadata.NamespaceProperty, pod.Metadata.Labels["app"], pod.Metadata.Labels["version"], pod.Metadata.Name, pod.Status.PodIP);

    private static (List<V1Pod> Pods, List<V1Service> Services) Fill(FakeKubeApiServer kube, ChurnOptions o)
    {
        var objects = new List<IKubernetesObject<V1ObjectMeta>>();
        var services = new List<V1Service>();
        for (var w = 0; w < Workers; w++)
        {
            objects.Add(KubeObjects.Node(Worker(w), NodeIp(w)));
        }

        for (var s = 0; s < o.Services; s++)
        {
            services.Add(KubeObjects.Service("shop", ServiceName(s), $"10.96.{s / 256}.{s % 256}", KubeObjects.ServicePort("http", 9080)));
        }

        objects.AddRange(services);
        var pods = Enumerable.Range(0, o.Pods).Select(i => Pod(o, i)).ToList();
        objects.AddRange(pods);
        kube.AddAll([.. objects]);
        return (pods, services);
    }

    /// <summary>Pod number <paramref name="i"/>: in service i mod S, with a unique IP and name.</summary>
    private static V1Pod Pod(ChurnOptions o, int i)
    {
        var w = i % Workers;
        var ip = $"10.{100 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}";
        return KubeObjects.DeploymentPod("shop", ServiceName(i % o.Services), ip, Worker(w), NodeIp(w), replica: i);
    }

    private static string ServiceName(int s) => "svc-" + s.ToString(CultureInfo.InvariantCulture);

    private static string Worker(int w) => "worker-" + w.ToString(CultureInfo.InvariantCulture);

    private static string NodeIp(int w) => "192.168.0." + (10 + w).ToString(CultureInfo.InvariantCulture);
}
