using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>
/// An in-process Kubernetes API server for tests, on plain HTTP/1.1 at 127.0.0.1 with a port picked by the
/// OS. It serves GET list, watch and get for core/v1 pods, services and nodes, discovery.k8s.io/v1
/// endpointslices and apps/v1 replicasets (cluster-wide and namespaced), with the real protocol:
/// one global resourceVersion, paged lists consistent across pages, watches from a resourceVersion
/// replaying history, bookmarks, 410 Expired for compacted history, RBAC-style 403s and Status bodies.
/// Objects are the KubernetesClient model types serialized with <see cref="KubernetesJson"/>.
/// </summary>
public sealed class FakeKubeApiServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly FakeKubeStore _store;
    private readonly FakeKubeFaults _faults = new();
    private readonly FakeKubeRequestLog _log = new();
    private readonly FakeKubeHandler _handler;
    private readonly FakeKubeApiServerOptions _options;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private WebApplication? _app;

    private FakeKubeApiServer(FakeKubeApiServerOptions options)
    {
        _options = options;
        _store = new FakeKubeStore(options.InitialResourceVersion);
        _handler = new FakeKubeHandler(_store, _faults, _log, options, _shutdown.Token);
    }

    /// <summary>The server's address, <c>http://127.0.0.1:port</c>; stays the same across <see cref="DownAsync"/> and <see cref="UpAsync"/>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public int Port => BaseAddress.Port;

    /// <summary>The bearer token clients must send; null when any request is accepted.</summary>
    public string? Token => _options.Token;

    /// <summary>The current (latest) resourceVersion, as a list now would report it.</summary>
    public string ResourceVersion => _store.ResourceVersion.ToString(CultureInfo.InvariantCulture);

    /// <summary>The oldest resourceVersion a watch can start from; older ones get 410 Expired.</summary>
    public string OldestValidResourceVersion => _store.OldestValidResourceVersion.ToString(CultureInfo.InvariantCulture);

    /// <summary>Exceptions the fake itself threw while answering (each became a 500 or a reset); empty unless the fake has a bug.</summary>
    public IReadOnlyList<Exception> ServerErrors => _handler.Errors;

    /// <summary>Every request that reached the server, oldest first.</summary>
    public IReadOnlyList<FakeKubeRequest> Requests => _log.Requests;

    /// <summary>Starts a server on 127.0.0.1 with a free port.</summary>
    public static async Task<FakeKubeApiServer> StartAsync(FakeKubeApiServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var server = new FakeKubeApiServer(options ?? new FakeKubeApiServerOptions());
        try
        {
            server._app = await server.StartAppAsync(0, cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // ---- objects -------------------------------------------------------------------------------

    /// <summary>Creates an object (ADDED) at a new resourceVersion; returns it as stored (uid, creationTimestamp, resourceVersion set).</summary>
    /// <exception cref="InvalidOperationException">It already exists.</exception>
    public T Add<T>(T obj)
        where T : class, IKubernetesObject<V1ObjectMeta> => Write(obj, FakeKubeStore.WriteMode.Add);

    /// <summary>Creates several objects of any served kinds, in order, each at its own resourceVersion.</summary>
    public void AddAll(params IKubernetesObject<V1ObjectMeta>[] objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        foreach (var obj in objects)
        {
            var resource = FakeKubeResource.ForType(obj.GetType());
            _store.Write(resource, ToJson(resource, obj), FakeKubeStore.WriteMode.Add);
        }
    }

    /// <summary>Replaces an existing object (MODIFIED) at a new resourceVersion; uid and creationTimestamp are kept when not given.</summary>
    /// <exception cref="InvalidOperationException">It does not exist.</exception>
    public T Update<T>(T obj)
        where T : class, IKubernetesObject<V1ObjectMeta> => Write(obj, FakeKubeStore.WriteMode.Update);

    /// <summary>Creates or replaces an object.</summary>
    public T Upsert<T>(T obj)
        where T : class, IKubernetesObject<V1ObjectMeta> => Write(obj, FakeKubeStore.WriteMode.Upsert);

    /// <summary>Reads the stored object, changes it with <paramref name="change"/> and stores it (MODIFIED).</summary>
    public T Modify<T>(string? ns, string name, Action<T> change)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(change);
        var current = Get<T>(ns, name) ?? throw new InvalidOperationException($"{typeof(T).Name} {ns}/{name} not found");
        change(current);
        return Update(current);
    }

    /// <summary>Deletes the object with <paramref name="obj"/>'s namespace and name (DELETED); returns its last state at the deletion's resourceVersion.</summary>
    public T Delete<T>(T obj)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(obj);
        return Delete<T>(obj.Metadata?.NamespaceProperty, obj.Metadata?.Name ?? throw new ArgumentException("the object has no name", nameof(obj)));
    }

    /// <summary>Deletes an object by namespace (ignored for cluster-scoped kinds) and name.</summary>
    public T Delete<T>(string? ns, string name)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var resource = FakeKubeResource.ForType(typeof(T));
        return KubernetesJson.Deserialize<T>(_store.Delete(resource, resource.Namespaced ? ns ?? "default" : null, name).Json);
    }

    /// <summary>The stored object, or null.</summary>
    public T? Get<T>(string? ns, string name)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var resource = FakeKubeResource.ForType(typeof(T));
        return _store.Get(resource, resource.Namespaced ? ns ?? "default" : null, name) is { } obj ? KubernetesJson.Deserialize<T>(obj.Json) : null;
    }

    /// <summary>All stored objects of a kind, in key (namespace/name) order.</summary>
    public IReadOnlyList<T> List<T>()
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        [.. _store.All(FakeKubeResource.ForType(typeof(T))).Select(o => KubernetesJson.Deserialize<T>(o.Json))];

    // ---- watch control -------------------------------------------------------------------------

    /// <summary>Drops the write history, as etcd compaction does: watches and consistent lists from before now get 410 Expired.</summary>
    public void CompactHistory() => _store.Compact();

    /// <summary>Sends a BOOKMARK at the current resourceVersion to open watches (of one resource, or all) that asked for bookmarks; returns how many got one.</summary>
    public int SendBookmark(string? resource = null) => _store.Bookmark(resource is null ? null : FakeKubeResource.Named(resource));

    /// <summary>Cuts open watch connections (of one resource, or all) mid-stream: the client's read fails.</summary>
    public int DropWatchConnections(string? resource = null) =>
        _store.Stop(resource is null ? null : FakeKubeResource.Named(resource), WatchSession.Ending.Abort);

    /// <summary>Ends open watches (of one resource, or all) cleanly, as when their timeout elapses.</summary>
    public int CloseWatchConnections(string? resource = null) =>
        _store.Stop(resource is null ? null : FakeKubeResource.Named(resource), WatchSession.Ending.Close);

    /// <summary>Writes a line that is not JSON into the open watches of <paramref name="resource"/>.</summary>
    public int SendGarbage(string resource, string line = "this is not json {") =>
        _store.Broadcast(FakeKubeResource.Named(resource), _ => line);

    /// <summary>
    /// Sends a MODIFIED event whose object is valid JSON of the right kind but does not deserialize
    /// (<c>metadata.labels</c> is a string) into the open watches of <paramref name="resource"/>.
    /// </summary>
    public int SendMalformedObject(string resource)
    {
        var r = FakeKubeResource.Named(resource);
        var ns = r.Namespaced ? ",\"namespace\":\"default\"" : string.Empty;
        return _store.Broadcast(r, rv => WatchSession.Line(
            HistoryEvent.Modified,
            $$$"""{"kind":"{{{r.Kind}}}","apiVersion":"{{{r.ApiVersion}}}","metadata":{"name":"malformed"{{{ns}}},"resourceVersion":"{{{rv.ToString(CultureInfo.InvariantCulture)}}}","labels":"not-a-map"}}"""));
    }

    /// <summary>Open watches (of one resource, or all).</summary>
    public int OpenWatchCount(string? resource = null) => _store.OpenWatchCount(resource is null ? null : FakeKubeResource.Named(resource));

    // ---- failures ------------------------------------------------------------------------------

    /// <summary>Makes a custom resource absent, as when its CustomResourceDefinition is not installed: 404 on every request, its objects kept for <see cref="Install"/>.</summary>
    public void Uninstall(string resource) => _faults.Uninstall(FakeKubeResource.Named(resource).Plural);

    /// <summary>Serves a resource made absent by <see cref="Uninstall"/> again.</summary>
    public void Install(string resource) => _faults.Install(FakeKubeResource.Named(resource).Plural);

    /// <summary>Answers 403 Forbidden (RBAC's Status) to <paramref name="verbs"/> (none given: all verbs) on <paramref name="resource"/>.</summary>
    public void Forbid(string resource, params FakeKubeVerb[] verbs) => _faults.Forbid(FakeKubeResource.Named(resource).Plural, verbs ?? []);

    public void Unforbid(string resource) => _faults.Unforbid(FakeKubeResource.Named(resource).Plural);

    /// <summary>Answers the next <paramref name="count"/> <paramref name="verb"/> requests on <paramref name="resource"/> with <paramref name="status"/> and a real Status body (429 adds Retry-After).</summary>
    public void FailNextRequests(string resource, FakeKubeVerb verb, HttpStatusCode status, int count = 1) =>
        _faults.Inject(FakeKubeResource.Named(resource).Plural, verb, status, count);

    /// <summary>Takes the server down: <see cref="FakeKubeOutage.Refuse"/> stops listening, <see cref="FakeKubeOutage.Unavailable"/> answers 503. Open watches are cut either way.</summary>
    public async Task DownAsync(FakeKubeOutage outage = FakeKubeOutage.Refuse, CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (outage == FakeKubeOutage.Unavailable)
            {
                _faults.Unavailable = true;
                _store.Stop(null, WatchSession.Ending.Abort);
                return;
            }

            if (_app is { } app)
            {
                _app = null;
                _store.Stop(null, WatchSession.Ending.Abort);
                await StopAppAsync(app).ConfigureAwait(false);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Brings the server back on the same port after <see cref="DownAsync"/>.</summary>
    public async Task UpAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _faults.Unavailable = false;
            if (_app is null)
            {
                _app = await StartAppAsync(Port, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    // ---- what clients did ----------------------------------------------------------------------

    /// <summary>Requests (including refused ones: 401, 403, 503, injected) of <paramref name="verb"/> on <paramref name="resource"/> so far.</summary>
    public int RequestCount(string resource, FakeKubeVerb verb) => _log.Count(FakeKubeResource.Named(resource).Plural, verb);

    /// <summary>The resourceVersion the last watch of <paramref name="resource"/> asked for ("" for none given); null before any watch.</summary>
    public string? LastWatchResourceVersion(string resource) => WatchResourceVersions(resource) is { Count: > 0 } all ? all[^1] : null;

    /// <summary>The resourceVersion of every watch of <paramref name="resource"/>, in order ("" for none given).</summary>
    public IReadOnlyList<string> WatchResourceVersions(string resource) => _log.WatchResourceVersions(FakeKubeResource.Named(resource).Plural);

    /// <summary>Forgets the recorded requests and counters.</summary>
    public void ClearRequests() => _log.Clear();

    /// <summary>Waits until at least <paramref name="atLeast"/> <paramref name="verb"/> requests on <paramref name="resource"/> arrived.</summary>
    public Task WaitForRequestsAsync(string resource, FakeKubeVerb verb, int atLeast, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitUntilAsync(() => RequestCount(resource, verb) >= atLeast, () => $"{atLeast} {verb} requests on {resource} (saw {RequestCount(resource, verb)})", timeout, cancellationToken);

    /// <summary>Waits until at least <paramref name="atLeast"/> watches of <paramref name="resource"/> are open.</summary>
    public Task WaitForOpenWatchesAsync(string resource, int atLeast = 1, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitUntilAsync(() => OpenWatchCount(resource) >= atLeast, () => $"{atLeast} open watches of {resource} (saw {OpenWatchCount(resource)})", timeout, cancellationToken);

    /// <summary>Waits until no watch (of <paramref name="resource"/>, or of any) is open.</summary>
    public Task WaitForWatchesClosedAsync(string? resource = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitUntilAsync(() => OpenWatchCount(resource) == 0, () => $"no open watches of {resource ?? "any resource"} (saw {OpenWatchCount(resource)})", timeout, cancellationToken);

    // ---- clients -------------------------------------------------------------------------------

    /// <summary>
    /// Writes a kubeconfig whose current context <c>fake-kube</c> points at this server (plain http, no TLS
    /// settings) with a bearer-token user; <see cref="KubernetesClientConfiguration.BuildConfigFromConfigFile(string, string, string, bool)"/> accepts it.
    /// </summary>
    public void WriteKubeconfig(string path, string defaultNamespace = "default")
    {
        // KubernetesClient refuses a user without credentials; with Token null the server takes any token.
        var token = Token ?? "anonymous";
        var yaml = $$"""
            apiVersion: v1
            kind: Config
            clusters:
            - cluster:
                server: {{BaseAddress.GetLeftPart(UriPartial.Authority)}}
              name: fake-kube
            contexts:
            - context:
                cluster: fake-kube
                namespace: {{defaultNamespace}}
                user: fake-kube-user
              name: fake-kube
            current-context: fake-kube
            preferences: {}
            users:
            - name: fake-kube-user
              user:
                token: {{token}}

            """;
        File.WriteAllText(path, yaml);
    }

    /// <summary>A real KubernetesClient configured from a kubeconfig this server wrote.</summary>
    public Kubernetes CreateClient()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fake-kube-{Guid.NewGuid():N}.kubeconfig");
        try
        {
            WriteKubeconfig(path);
            return new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync().ConfigureAwait(false);
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_app is { } app)
            {
                _app = null;
                _store.Stop(null, WatchSession.Ending.Abort);
                await StopAppAsync(app).ConfigureAwait(false);
            }
        }
        finally
        {
            _lifecycle.Release();
        }

        _shutdown.Dispose();
        _lifecycle.Dispose();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, Func<string> what, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var started = Stopwatch.GetTimestamp();
        while (!condition())
        {
            if (Stopwatch.GetElapsedTime(started) > limit)
            {
                throw new TimeoutException($"fake API server: waited {limit.TotalSeconds:0.#} s for {what()}");
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task StopAppAsync(WebApplication app)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(cts.Token).ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    private static JsonObject ToJson(FakeKubeResource resource, IKubernetesObject<V1ObjectMeta> obj)
    {
        var json = JsonNode.Parse(KubernetesJson.Serialize(obj))!.AsObject();
        json["apiVersion"] = resource.ApiVersion;
        json["kind"] = resource.Kind;
        return json;
    }

    private T Write<T>(T obj, FakeKubeStore.WriteMode mode)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(obj);
        var resource = FakeKubeResource.ForType(typeof(T));
        return KubernetesJson.Deserialize<T>(_store.Write(resource, ToJson(resource, obj), mode).Json);
    }

    private async Task<WebApplication> StartAppAsync(int port, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(StartTimeout);
        for (var attempt = 1; ; attempt++)
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.WebHost.UseKestrelCore();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http1);
            });
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
            var app = builder.Build();
            app.Run(_handler.HandleAsync);
            try
            {
                await app.StartAsync(cts.Token).ConfigureAwait(false);
            }
            catch (IOException ex) when (port != 0 && attempt < 50 && ex.InnerException is SocketException or null)
            {
                // The port is still held (a connection in TIME_WAIT, or another process took it): retry.
                await app.DisposeAsync().ConfigureAwait(false);
                await Task.Delay(100, cts.Token).ConfigureAwait(false);
                continue;
            }

            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            BaseAddress = new Uri(new Uri(address).GetLeftPart(UriPartial.Authority).Replace("localhost", "127.0.0.1", StringComparison.Ordinal) + "/");
            return app;
        }
    }
}
