using AlsAnalyzer.Core.Kubernetes;
using AlsAnalyzer.Core.Peers;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Kubernetes;

/// <summary>
/// The Kubernetes metadata cache: watches pods, services, EndpointSlices, nodes and (when
/// Istio is installed) ServiceEntries, and
/// rebuilds the immutable IP index after changes (debounced), swapping it by reference.
/// Ingest reads <see cref="Current"/> and never waits for the API server: an IP the watch has
/// not delivered yet is unknown now and resolves with a later index.
/// </summary>
internal sealed class KubernetesCache : BackgroundService
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(50);

    // A rebuild costs time proportional to the cluster (issue #17 measured 53% of a core at 20
    // rebuilds/s during a 50 pods/s rollout over 10,000 pods). After each rebuild the loop
    // waits this many times its wall-clock duration before the next, so rebuilding under
    // constant churn takes at most 1/(1 + ratio) of a core (5%; the garbage it leaves and the
    // watch itself come on top). benchmarks/README.md (`churn`): 9 gave 20% of a core in all
    // at 10,000 pods, 19 gives 15%.
    private const int RebuildPauseRatio = 19;

    // The pause never exceeds this, so a new pod resolves within about 2 s at 10,000 pods
    // (p95 1.6 s) even when a busy machine inflates the measured cost; 2.6 s at 50,000.
    private static readonly TimeSpan MaxPause = TimeSpan.FromMilliseconds(1500);

    private readonly KubernetesOptions _options;
    private readonly KubeMetrics _metrics;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger<KubernetesCache> _logger;
    private readonly TimeProvider _time;
    private readonly KubeconfigSource? _source;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly ServiceNameTemplate _template;
    private KubernetesIndex _index = KubernetesIndex.Empty;
    private Dictionary<PodRecord, (PeerInfo Peer, SortedSet<string>? Sliced)>? _peers;
    private List<ServiceRecord> _lastServices = [];
    private int _dirty;
    private bool _indexSynced;
    private ResourceWatcher<V1Pod, V1PodList, PodRecord>? _pods;
    private ResourceWatcher<V1Service, V1ServiceList, ServiceRecord>? _services;
    private ResourceWatcher<V1EndpointSlice, V1EndpointSliceList, EndpointSliceRecord>? _slices;
    private ResourceWatcher<V1Node, V1NodeList, NodeRecord>? _nodes;
    private ResourceWatcher<IstioServiceEntry, IstioServiceEntryList, ServiceEntryRecord>? _serviceEntries;

    public KubernetesCache(IOptions<KubernetesOptions> options, KubeMetrics metrics, ILoggerFactory loggers, TimeProvider time, KubeEnvironment environment)
    {
        _options = options.Value;
        _metrics = metrics;
        _loggers = loggers;
        _logger = loggers.CreateLogger<KubernetesCache>();
        _time = time;
        Enabled = KubeconfigResolver.Enabled(_options, environment);
        _source = Enabled ? KubeconfigResolver.Resolve(_options, environment) : null;
        _template = ServiceNameTemplate.TryParse(_options.ServiceNameTemplate, out var t, out _) ? t! : throw new OptionsValidationException(nameof(KubernetesOptions), typeof(KubernetesOptions), ["Als:ServiceNameTemplate is invalid."]);
    }

    /// <summary>The resources the cache lists and watches, at cluster scope (deploy/ grants exactly these).</summary>
    public static IReadOnlyList<(string Group, string Resource)> WatchedResources { get; } =
    [
        (string.Empty, "pods"),
        (string.Empty, "services"),
        ("discovery.k8s.io", "endpointslices"),
        (string.Empty, "nodes"),
        (IstioServiceEntry.Group, IstioServiceEntry.Plural),
    ];

    public bool Enabled { get; }

    public KubernetesIndex Current => Volatile.Read(ref _index);

    /// <summary>True once the index in use was built after every resource completed its first list.</summary>
    public bool Synced => Enabled && Volatile.Read(ref _indexSynced);

    /// <summary>True while a watch fails without contact for longer than the stale limit, or before the first sync.</summary>
    public bool Stale
    {
        get
        {
            if (!Enabled)
            {
                return false;
            }

            var now = _time.GetUtcNow();
            var limit = TimeSpan.FromSeconds(_options.KubernetesStaleAfterSeconds);
            return !Synced || Watchers().Any(w => !w.Healthy && (w.LastContact is not { } c || now - c > limit));
        }
    }


    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        if (_source is null)
        {
            KubeLog.StartFailed(_logger, "Kubernetes=on but no configuration was found (KubeconfigPath, KUBECONFIG, in-cluster service account, ~/.kube/config)");
            return;
        }

        k8s.Kubernetes client;
        try
        {
            var config = _source.Build();
            KubeLog.Connecting(_logger, config.Host, _source.Description);
            client = new k8s.Kubernetes(config);
        }
        catch (Exception ex) when (ex is k8s.Exceptions.KubeConfigException or IOException or UnauthorizedAccessException or FormatException)
        {
            KubeLog.StartFailed(_logger, ex.Message);
            return;
        }

        using (client)
        {
            ResourceWatcher<TObject, TList, TRecord> Watcher<TObject, TList, TRecord>(
                string resource,
                string kind,
                ListCall<TList> list,
                WatchCall<TObject> watch,
                Func<TObject, TRecord?> map,
                bool optional = false)
                where TObject : IKubernetesObject<V1ObjectMeta>
                where TList : IKubernetesObject<V1ListMeta>, IItems<TObject>
                where TRecord : class =>
                new(resource, kind, list, watch, map, Changed, _metrics, _loggers.CreateLogger<ResourceWatcher<TObject, TList, TRecord>>(), _time, _options, optional);

            _pods = Watcher<V1Pod, V1PodList, PodRecord>(
                "pods",
                "Pod",
                (c, l, ct) => client.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(continueParameter: c, limit: l, cancellationToken: ct),
                (rv, t, e, ct) => client.CoreV1.WatchListPodForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: e, cancellationToken: ct),
                KubeMapper.Pod);
            _services = Watcher<V1Service, V1ServiceList, ServiceRecord>(
                "services",
                "Service",
                (c, l, ct) => client.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(continueParameter: c, limit: l, cancellationToken: ct),
                (rv, t, e, ct) => client.CoreV1.WatchListServiceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: e, cancellationToken: ct),
                KubeMapper.Service);
            _slices = Watcher<V1EndpointSlice, V1EndpointSliceList, EndpointSliceRecord>(
                "endpointslices",
                "EndpointSlice",
                (c, l, ct) => client.DiscoveryV1.ListEndpointSliceForAllNamespacesWithHttpMessagesAsync(continueParameter: c, limit: l, cancellationToken: ct),
                (rv, t, e, ct) => client.DiscoveryV1.WatchListEndpointSliceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: e, cancellationToken: ct),
                KubeMapper.EndpointSlice);
            _nodes = Watcher<V1Node, V1NodeList, NodeRecord>(
                "nodes",
                "Node",
                (c, l, ct) => client.CoreV1.ListNodeWithHttpMessagesAsync(continueParameter: c, limit: l, cancellationToken: ct),
                (rv, t, e, ct) => client.CoreV1.WatchListNodeAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: e, cancellationToken: ct),
                KubeMapper.Node);

            // Istio's ServiceEntries name external services; a cluster without Istio (the CRD
            // absent) or an RBAC that leaves them out costs one log line, not a retry storm.
            _serviceEntries = Watcher<IstioServiceEntry, IstioServiceEntryList, ServiceEntryRecord>(
                IstioServiceEntry.Plural,
                IstioServiceEntry.KindName,
                (c, l, ct) => client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<IstioServiceEntryList>(IstioServiceEntry.Group, IstioServiceEntry.Version, IstioServiceEntry.Plural, continueParameter: c, limit: l, cancellationToken: ct),
                (rv, t, e, ct) => WatchServiceEntries(client, rv, t, e, ct),
                KubeMapper.ServiceEntry,
                optional: true);

            await Task.WhenAll(
                _pods.RunAsync(stoppingToken),
                _services.RunAsync(stoppingToken),
                _slices.RunAsync(stoppingToken),
                _nodes.RunAsync(stoppingToken),
                _serviceEntries.RunAsync(stoppingToken),
                RebuildLoopAsync(stoppingToken)).ConfigureAwait(false);
        }
    }

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }

    private static IAsyncEnumerable<(WatchEventType Type, IstioServiceEntry Item)> WatchServiceEntries(k8s.Kubernetes client, string resourceVersion, int timeoutSeconds, Action<Exception> onError, CancellationToken cancellationToken)
    {
        var response = client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<IstioServiceEntryList>(
            IstioServiceEntry.Group, IstioServiceEntry.Version, IstioServiceEntry.Plural, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, watch: true, cancellationToken: cancellationToken);

        // The only typed watch the client offers for a custom resource (its generated watches
        // cover built-in kinds only, and the untyped one yields JsonElements); marked obsolete
        // in favour of those generated watches, which do not exist for ServiceEntry.
#pragma warning disable CS0618
        return response.WatchAsync<IstioServiceEntry, IstioServiceEntryList>(onError, cancellationToken);
#pragma warning restore CS0618
    }

    private IEnumerable<IWatcherState> Watchers() =>
        _pods is null || _services is null || _slices is null || _nodes is null || _serviceEntries is null
            ? [NotStarted.Instance]
            : [_pods, _services, _slices, _nodes, _serviceEntries];

    private void Changed()
    {
        if (Interlocked.Exchange(ref _dirty, 1) == 0)
        {
            _signal.Release();
        }
    }

    private async Task RebuildLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await _signal.WaitAsync(cancellationToken).ConfigureAwait(false);

                // Let a burst of events (a relist, a rollout) settle into one rebuild.
                await Task.Delay(Debounce, _time, cancellationToken).ConfigureAwait(false);
                Interlocked.Exchange(ref _dirty, 0);
                var started = _time.GetTimestamp();
                Rebuild();
                var cost = _time.GetElapsedTime(started);

                // Changes that arrive meanwhile wait for the pause, then go into one rebuild.
                var pause = TimeSpan.FromTicks(Math.Min((cost * RebuildPauseRatio).Ticks, MaxPause.Ticks)) - Debounce;
                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause, _time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private void Rebuild()
    {
        // Read before the snapshots: an index built from state listed in full.
        var synced = Watchers().All(w => w.Synced);
        var pods = _pods!.Snapshot();
        var services = _services!.Snapshot();
        var slices = _slices!.Snapshot();
        var nodes = _nodes!.Snapshot();
        var serviceEntries = _serviceEntries!.Snapshot();
        var reuse = SameRecords(services, _lastServices) ? _peers : null;
        var peers = new PeerCache(reuse);
        var index = KubernetesIndexBuilder.Build(pods, services, slices, nodes, _template, Current.Generation + 1, serviceEntries, peers);
        (_peers, _lastServices) = (peers.Next, services);
        Volatile.Write(ref _index, index);
        _metrics.Objects("pods", pods.Count);
        _metrics.Objects("services", services.Count);
        _metrics.Objects("endpointslices", slices.Count);
        _metrics.Objects("nodes", nodes.Count);
        _metrics.Objects(IstioServiceEntry.Plural, serviceEntries.Count);
        _metrics.Index(index.Addresses, synced);
        if (synced && !Volatile.Read(ref _indexSynced))
        {
            Volatile.Write(ref _indexSynced, true);
            KubeLog.Synced(_logger, pods.Count, services.Count, slices.Count, nodes.Count, index.Addresses);
        }
    }

    /// <summary>True when two snapshots hold the same record instances (records are replaced on any change).</summary>
    private static bool SameRecords<T>(List<T> now, List<T> before)
        where T : class
    {
        if (now.Count != before.Count)
        {
            return false;
        }

        var known = new HashSet<T>(before, ReferenceEqualityComparer.Instance);
        return now.TrueForAll(known.Contains);
    }

    private sealed class NotStarted : IWatcherState
    {
        public static readonly NotStarted Instance = new();

        public bool Synced => false;

        public bool Healthy => false;

        public DateTimeOffset? LastContact => null;
    }
}
