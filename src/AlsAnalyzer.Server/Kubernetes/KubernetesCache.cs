using AlsAnalyzer.Core.Kubernetes;
using AlsAnalyzer.Core.Peers;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Kubernetes;

/// <summary>
/// The Kubernetes metadata cache: watches pods, services, EndpointSlices, nodes and (when
/// Istio is installed) ServiceEntries (the built-in kinds' lists and watches read only the
/// fields the index needs: <see cref="KubeWatchStream"/>), and keeps the IP index up to date in place: each watch
/// event is recorded as it arrives, and shortly after (debounced) the index is brought up to
/// date for just the pods and IPs the events touched. A full list (start-up, a relist after
/// <c>410 Gone</c> or an error) recomputes the whole index once.
/// Ingest reads <see cref="Current"/> and never waits for the API server: an IP the watch has
/// not delivered yet is unknown now and resolves after the next update.
/// </summary>
internal sealed class KubernetesCache : BackgroundService
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(50);

    // An update costs time proportional to what changed, but a full recompute (after a list)
    // or a service change in a large namespace costs more: after each update the loop waits
    // this many times its wall-clock duration before the next, so updating takes at most
    // 1/(1 + ratio) of a core (5%) however the cluster changes.
    private const int UpdatePauseRatio = 19;

    // The pause never exceeds this, so that a new pod resolves within about 2 s even after a
    // costly update on a busy machine.
    private static readonly TimeSpan MaxPause = TimeSpan.FromMilliseconds(1500);

    private readonly KubernetesOptions _options;
    private readonly KubeMetrics _metrics;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger<KubernetesCache> _logger;
    private readonly TimeProvider _time;
    private readonly KubeconfigSource? _source;
    private readonly SemaphoreSlim _signal = new(0);

    // The one writer of the index; watchers record into it and the update loop publishes, under _lock.
    private readonly KubernetesIndexUpdater _updater;
    private readonly Lock _lock = new();
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
        var template = ServiceNameTemplate.TryParse(_options.ServiceNameTemplate, out var t, out _) ? t! : throw new OptionsValidationException(nameof(KubernetesOptions), typeof(KubernetesOptions), ["Als:ServiceNameTemplate is invalid."]);
        _updater = new KubernetesIndexUpdater(template);
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

    public KubernetesIndex Current => _updater.Index;

    /// <summary>True once the index was updated after every resource completed its first list.</summary>
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
        KubeWatchStream watches;
        try
        {
            var config = _source.Build();
            KubeLog.Connecting(_logger, config.Host, _source.Description);
            client = new k8s.Kubernetes(config);
            watches = new KubeWatchStream(client, config);
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
                Action<KubernetesIndexUpdater, TRecord> set,
                Action<KubernetesIndexUpdater, TRecord> remove,
                bool optional = false)
                where TObject : IKubernetesObject<V1ObjectMeta>
                where TList : IKubernetesObject<V1ListMeta>, IItems<TObject>
                where TRecord : class =>
                new(resource, kind, list, watch, map, (changes, relisted) => Record(changes, relisted && !optional, set, remove), _metrics, _loggers.CreateLogger<ResourceWatcher<TObject, TList, TRecord>>(), _time, _options, optional);

            _pods = Watcher<V1Pod, V1PodList, PodRecord>(
                "pods",
                "Pod",
                (c, l, ct) => watches.ListAsync<V1PodList>("api/v1/pods", c, l, ct),
                (rv, t, e, ct) => watches.WatchAsync<V1Pod>("api/v1/pods", rv, t, e, ct),
                KubeMapper.Pod,
                (u, r) => u.SetPod(r),
                (u, r) => u.RemovePod(r));
            _services = Watcher<V1Service, V1ServiceList, ServiceRecord>(
                "services",
                "Service",
                (c, l, ct) => watches.ListAsync<V1ServiceList>("api/v1/services", c, l, ct),
                (rv, t, e, ct) => watches.WatchAsync<V1Service>("api/v1/services", rv, t, e, ct),
                KubeMapper.Service,
                (u, r) => u.SetService(r),
                (u, r) => u.RemoveService(r));
            _slices = Watcher<V1EndpointSlice, V1EndpointSliceList, EndpointSliceRecord>(
                "endpointslices",
                "EndpointSlice",
                (c, l, ct) => watches.ListAsync<V1EndpointSliceList>("apis/discovery.k8s.io/v1/endpointslices", c, l, ct),
                (rv, t, e, ct) => watches.WatchAsync<V1EndpointSlice>("apis/discovery.k8s.io/v1/endpointslices", rv, t, e, ct),
                KubeMapper.EndpointSlice,
                (u, r) => u.SetSlice(r),
                (u, r) => u.RemoveSlice(r));
            _nodes = Watcher<V1Node, V1NodeList, NodeRecord>(
                "nodes",
                "Node",
                (c, l, ct) => watches.ListAsync<V1NodeList>("api/v1/nodes", c, l, ct),
                (rv, t, e, ct) => watches.WatchAsync<V1Node>("api/v1/nodes", rv, t, e, ct),
                KubeMapper.Node,
                (u, r) => u.SetNode(r),
                (u, r) => u.RemoveNode(r));

            // Istio's ServiceEntries name external services; a cluster without Istio (the CRD
            // absent) or an RBAC that leaves them out costs one log line, not a retry storm.
            _serviceEntries = Watcher<IstioServiceEntry, IstioServiceEntryList, ServiceEntryRecord>(
                IstioServiceEntry.Plural,
                IstioServiceEntry.KindName,
                (c, l, ct) => client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<IstioServiceEntryList>(IstioServiceEntry.Group, IstioServiceEntry.Version, IstioServiceEntry.Plural, continueParameter: c, limit: l, cancellationToken: ct),
                (rv, t, e, ct) => WatchServiceEntries(client, rv, t, e, ct),
                KubeMapper.ServiceEntry,
                (u, r) => u.SetServiceEntry(r),
                (u, r) => u.RemoveServiceEntry(r),
                optional: true);

            await Task.WhenAll(
                _pods.RunAsync(stoppingToken),
                _services.RunAsync(stoppingToken),
                _slices.RunAsync(stoppingToken),
                _nodes.RunAsync(stoppingToken),
                _serviceEntries.RunAsync(stoppingToken),
                UpdateLoopAsync(stoppingToken)).ConfigureAwait(false);
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

    /// <summary>
    /// Records a watcher's changes. A full list of pods, services, EndpointSlices or nodes
    /// makes the next update recompute everything (once, instead of tracking what each of
    /// thousands of objects touches); ServiceEntries never need that.
    /// </summary>
    private void Record<TRecord>(
        IReadOnlyList<RecordChange<TRecord>> changes,
        bool recomputeAll,
        Action<KubernetesIndexUpdater, TRecord> set,
        Action<KubernetesIndexUpdater, TRecord> remove)
        where TRecord : class
    {
        lock (_lock)
        {
            if (recomputeAll)
            {
                _updater.RecomputeAll();
            }

            foreach (var (before, after) in changes)
            {
                if (after is not null)
                {
                    set(_updater, after);
                }
                else if (before is not null)
                {
                    remove(_updater, before);
                }
            }
        }

        Changed();
    }

    private void Changed()
    {
        if (Interlocked.Exchange(ref _dirty, 1) == 0)
        {
            _signal.Release();
        }
    }

    private async Task UpdateLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await _signal.WaitAsync(cancellationToken).ConfigureAwait(false);

                // Let a burst of events (a relist, a rollout) settle into one update.
                await Task.Delay(Debounce, _time, cancellationToken).ConfigureAwait(false);
                Interlocked.Exchange(ref _dirty, 0);
                var started = _time.GetTimestamp();
                Update();
                var cost = _time.GetElapsedTime(started);

                // Changes that arrive meanwhile wait for the pause, then go into one update.
                var pause = TimeSpan.FromTicks(Math.Min((cost * UpdatePauseRatio).Ticks, MaxPause.Ticks)) - Debounce;
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

    private void Update()
    {
        // Read before the update: a watcher sets Synced only after handing over its list.
        var synced = Watchers().All(w => w.Synced);
        KubernetesCounts counts;
        lock (_lock)
        {
            _updater.Publish();
            counts = _updater.Index.Counts;
        }

        var index = _updater.Index;
        _metrics.Objects("pods", counts.Pods);
        _metrics.Objects("services", counts.Services);
        _metrics.Objects("endpointslices", counts.EndpointSlices);
        _metrics.Objects("nodes", counts.Nodes);
        _metrics.Objects(IstioServiceEntry.Plural, counts.ServiceEntries);
        _metrics.Index(index.Addresses, synced);
        if (synced && !Volatile.Read(ref _indexSynced))
        {
            Volatile.Write(ref _indexSynced, true);
            KubeLog.Synced(_logger, counts.Pods, counts.Services, counts.EndpointSlices, counts.Nodes, index.Addresses);
        }
        else if (!synced && Watchers().All(w => w.Synced))
        {
            // The last list finished during this update: one more, to mark the index synced.
            Changed();
        }
    }

    private sealed class NotStarted : IWatcherState
    {
        public static readonly NotStarted Instance = new();

        public bool Synced => false;

        public bool Healthy => false;

        public DateTimeOffset? LastContact => null;
    }
}
