using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace AlsAnalyzer.Server.Kubernetes;

/// <summary>One object's change: added (no <see cref="Before"/>), modified, or deleted (no <see cref="After"/>).</summary>
internal readonly record struct RecordChange<TRecord>(TRecord? Before, TRecord? After)
    where TRecord : class;

/// <summary>
/// Receives a watcher's changes: one per watch event, or every object of a full list at once
/// (<paramref name="relisted"/>: the objects absent from the new list as deletions, the
/// others as changes).
/// </summary>
internal delegate void RecordChanges<TRecord>(IReadOnlyList<RecordChange<TRecord>> changes, bool relisted)
    where TRecord : class;

/// <summary>
/// Keeps a local copy of one resource with list + watch, the way the API server expects:
/// a paged list gives the state and a resourceVersion; a watch from that version (with
/// bookmarks) streams changes; a watch that times out, or sends a line that does not parse,
/// resumes from the last version seen; <c>410 Gone</c> (history compacted) forces a relist, and
/// so does any other error, after an exponential backoff. Objects
/// that do not map, events that do not parse and unknown kinds are counted and skipped: the
/// copy keeps its last good state. Every change to the copy is handed on as it happens; the
/// copy is touched only by <see cref="RunAsync"/>'s task.
/// </summary>
internal sealed class ResourceWatcher<TObject, TList, TRecord> : IWatcherState
    where TObject : IKubernetesObject<V1ObjectMeta>
    where TList : IKubernetesObject<V1ListMeta>, IItems<TObject>
    where TRecord : class
{
    private readonly Dictionary<string, TRecord> _items = new(StringComparer.Ordinal);
    private readonly string _resource;
    private readonly string _kind;
    private readonly ListCall<TList> _list;
    private readonly WatchCall<TObject> _watch;
    private readonly Func<TObject, TRecord?> _map;
    private readonly RecordChanges<TRecord> _changed;
    private readonly KubeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    // Objects per list page: large enough that a 10,000-pod cluster lists in 20 calls.
    private const int ListPageSize = 500;

    private readonly KubernetesOptions _settings;
    private readonly bool _optional;
    private HttpStatusCode? _unavailableLogged;

    public ResourceWatcher(
        string resource,
        string kind,
        ListCall<TList> list,
        WatchCall<TObject> watch,
        Func<TObject, TRecord?> map,
        RecordChanges<TRecord> changed,
        KubeMetrics metrics,
        ILogger logger,
        TimeProvider time,
        KubernetesOptions settings,
        bool optional = false)
    {
        _optional = optional;
        _resource = resource;
        _kind = kind;
        _list = list;
        _watch = watch;
        _map = map;
        _changed = changed;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _settings = settings;
    }

    /// <summary>
    /// How often an optional resource (a custom resource such as Istio's ServiceEntry) whose
    /// CRD is absent or which RBAC forbids is tried again: seldom and silently, so a cluster
    /// without Istio costs one log line and one request every few minutes.
    /// </summary>
    private static readonly TimeSpan OptionalRetry = TimeSpan.FromMinutes(5);

    /// <summary>True once a full list completed (for an optional resource: or proved unavailable).</summary>
    public bool Synced { get; private set; }

    /// <summary>When the watcher last heard from the API server successfully (list, event, bookmark, clean end).</summary>
    public DateTimeOffset? LastContact { get; private set; }

    /// <summary>False while the watcher is failing and backing off.</summary>
    public bool Healthy { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        string? resourceVersion = null;
        var backoff = _settings.BackoffInitial;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Whether the list (rather than the watch after it) is what failed.
            var listing = resourceVersion is null;
            try
            {
                if (resourceVersion is null)
                {
                    resourceVersion = await RelistAsync(cancellationToken).ConfigureAwait(false);
                    listing = false;
                }

                var gone = false;
                var events = _watch(resourceVersion, _settings.KubernetesWatchTimeoutSeconds, ex => gone |= OnWatchError(ex), cancellationToken);
                await foreach (var (type, item) in events.ConfigureAwait(false))
                {
                    Contact();
                    _unavailableLogged = null;
                    resourceVersion = Apply(type, item) ?? resourceVersion;
                    backoff = _settings.BackoffInitial;
                    if (gone)
                    {
                        break;
                    }
                }

                if (gone)
                {
                    _metrics.Relist(_resource, "gone");
                    KubeLog.ResourceVersionExpired(_logger, _resource, resourceVersion ?? string.Empty);
                    resourceVersion = null;
                    continue;
                }

                // The watch reached its timeout (or the server closed it): resume from where it was.
                Contact();
                _unavailableLogged = null;
                _metrics.WatchRestart(_resource, "closed");
            }
            catch (HttpOperationException ex) when (ex.Response?.StatusCode == HttpStatusCode.Gone)
            {
                _metrics.Relist(_resource, "gone");
                KubeLog.ResourceVersionExpired(_logger, _resource, resourceVersion ?? string.Empty);
                resourceVersion = null;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (HttpOperationException ex) when (_optional && ex.Response?.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
            {
                resourceVersion = null;
                if (!await UnavailableAsync(ex, listing, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (JsonException ex)
            {
                // A line of the watch stream that does not parse ends the stream: count and log
                // it, and resume from the last resourceVersion applied, so nothing is lost.
                _metrics.Malformed(_resource, "unparsable_event");
                _metrics.WatchRestart(_resource, "unparsable_event");
                KubeLog.WatchEventRejected(_logger, _resource, ex.Message);
                try
                {
                    await Task.Delay(Jitter(_settings.BackoffInitial), _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            catch (Exception ex)
            {
                Healthy = false;
                var reason = Describe(ex);
                _metrics.WatchRestart(_resource, reason.Label);
                KubeLog.WatchFailed(_logger, _resource, reason.Message, backoff.TotalMilliseconds);
                try
                {
                    await Task.Delay(Jitter(backoff), _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _settings.BackoffMax.Ticks));

                // As client-go's reflector does: after a failure, list again. The list proves the
                // API server is back (a resumed watch says nothing until its first event) and
                // catches up on anything the failure may have hidden.
                if (resourceVersion is not null)
                {
                    _metrics.Relist(_resource, "error");
                    resourceVersion = null;
                }
            }
        }
    }

    /// <summary>
    /// An optional resource is not served (its CRD is absent: 404) or not granted (403): it
    /// counts as synced and empty, is logged once per cause, and is tried again after
    /// <see cref="OptionalRetry"/>. When only its watch failed (RBAC granting 'list' alone),
    /// what the list gave is kept and listed again then. Returns false when cancelled.
    /// </summary>
    private async Task<bool> UnavailableAsync(HttpOperationException ex, bool listing, CancellationToken cancellationToken)
    {
        var status = ex.Response!.StatusCode;
        var absent = status == HttpStatusCode.NotFound;
        _metrics.WatchRestart(_resource, absent ? "absent" : "forbidden");
        if (_unavailableLogged != status)
        {
            _unavailableLogged = status;
            var reason = absent ? "its CustomResourceDefinition is not installed" : $"forbidden: grant 'list' and 'watch' on {_resource} to use it ({StatusMessage(ex)})";
            if (listing)
            {
                KubeLog.OptionalResourceUnavailable(_logger, _resource, reason, OptionalRetry.TotalMinutes);
            }
            else
            {
                KubeLog.OptionalResourceUnwatched(_logger, _items.Count, _resource, reason, OptionalRetry.TotalMinutes);
            }
        }

        if (listing)
        {
            var removed = _items.Values.Select(r => new RecordChange<TRecord>(r, null)).ToList();
            _items.Clear();
            _changed(removed, relisted: true);
        }

        Synced = true;
        Contact();
        try
        {
            await Task.Delay(OptionalRetry, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<string> RelistAsync(CancellationToken cancellationToken)
    {
        var fresh = new Dictionary<string, TRecord>(StringComparer.Ordinal);
        string? continueToken = null;
        string resourceVersion;
        do
        {
            using var response = await _list(continueToken, ListPageSize, cancellationToken).ConfigureAwait(false);
            var list = response.Body;
            foreach (var item in list.Items ?? [])
            {
                if (Map(item) is { } record)
                {
                    fresh[Key(item)] = record;
                }
            }

            continueToken = list.Metadata?.ContinueProperty;
            resourceVersion = list.Metadata?.ResourceVersion ?? string.Empty;
        }
        while (!string.IsNullOrEmpty(continueToken));

        var changes = new List<RecordChange<TRecord>>(fresh.Count);
        foreach (var (k, v) in _items)
        {
            if (!fresh.ContainsKey(k))
            {
                changes.Add(new RecordChange<TRecord>(v, null));
            }
        }

        foreach (var (k, v) in fresh)
        {
            changes.Add(new RecordChange<TRecord>(_items.GetValueOrDefault(k), v));
        }

        _items.Clear();
        foreach (var (k, v) in fresh)
        {
            _items[k] = v;
        }

        // Handed on before Synced is set: whoever sees Synced sees the list applied.
        _changed(changes, relisted: true);
        _metrics.Listed(_resource, fresh.Count, _time.GetUtcNow());
        Synced = true;
        Contact();
        return resourceVersion;
    }

    /// <summary>Applies one event; returns the resourceVersion it carries.</summary>
    private string? Apply(WatchEventType type, TObject item)
    {
        if (item?.Metadata is null)
        {
            _metrics.Malformed(_resource, "no_metadata");
            return null;
        }

        if (item.Kind is { Length: > 0 } kind && kind != _kind)
        {
            _metrics.Malformed(_resource, "unknown_kind");
            return item.Metadata.ResourceVersion;
        }

        switch (type)
        {
            case WatchEventType.Added:
            case WatchEventType.Modified:
                if (Map(item) is { } record)
                {
                    var key = Key(item);
                    _items.TryGetValue(key, out var before);
                    _items[key] = record;
                    _changed([new RecordChange<TRecord>(before, record)], relisted: false);
                }

                break;
            case WatchEventType.Deleted:
                if (_items.Remove(Key(item), out var removed))
                {
                    _changed([new RecordChange<TRecord>(removed, null)], relisted: false);
                }

                break;
            default:
                // Bookmark: only the resourceVersion moves on.
                break;
        }

        return item.Metadata.ResourceVersion;
    }

    private TRecord? Map(TObject item)
    {
        TRecord? record = null;
        try
        {
            record = _map(item);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or NullReferenceException or FormatException)
        {
            record = null;
        }

        if (record is null)
        {
            _metrics.Malformed(_resource, "unmappable_object");
        }

        return record;
    }

    /// <summary>Errors the client reports from inside the stream: a Status event (410 means relist), or a line that did not parse.</summary>
    private bool OnWatchError(Exception ex)
    {
        if (ex is KubernetesException { Status.Code: 410 })
        {
            return true;
        }

        _metrics.Malformed(_resource, ex is JsonException ? "unparsable_event" : "error_event");
        KubeLog.WatchEventRejected(_logger, _resource, ex.Message);
        return false;
    }

    private void Contact()
    {
        Healthy = true;
        LastContact = _time.GetUtcNow();
    }

    private (string Label, string Message) Describe(Exception ex) => ex switch
    {
        HttpOperationException { Response.StatusCode: HttpStatusCode.Forbidden } h =>
            ("forbidden", $"forbidden: grant the service account 'list' and 'watch' on {_resource} at cluster scope ({StatusMessage(h)})"),
        HttpOperationException { Response.StatusCode: HttpStatusCode.Unauthorized } h =>
            ("unauthorized", $"unauthorized: the credentials were refused ({StatusMessage(h)})"),
        HttpOperationException h => ("http_" + (int)(h.Response?.StatusCode ?? 0), $"HTTP {(int)(h.Response?.StatusCode ?? 0)}: {StatusMessage(h)}"),
        HttpRequestException r => ("unreachable", "API server unreachable: " + r.Message),
        _ => ("error", ex.GetType().Name + ": " + ex.Message),
    };

    private static string StatusMessage(HttpOperationException h)
    {
        var content = h.Response?.Content ?? string.Empty;
        try
        {
            var status = KubernetesJson.Deserialize<V1Status>(content);
            return status?.Message ?? content;
        }
        catch (JsonException)
        {
            return content.Length > 200 ? content[..200] : content;
        }
    }

    private static string Key(TObject item) => item.Metadata.NamespaceProperty + "/" + item.Metadata.Name;

    private static TimeSpan Jitter(TimeSpan t) => t * (0.8 + (Random.Shared.NextDouble() * 0.4));
}
