using System.Globalization;
using System.Text.Json.Nodes;

namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>
/// The fake's etcd: every resource's objects ordered by key, one global revision counter, the
/// history of writes (until compacted) and the open watches. Everything happens under one lock, so
/// a watch sees history and live events in revision order with nothing lost or repeated.
/// </summary>
internal sealed class FakeKubeStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<FakeKubeResource, SortedDictionary<string, StoredObject>> _objects = [];
    private readonly List<HistoryEvent> _history = [];
    private readonly List<WatchSession> _watches = [];
    private long _resourceVersion;
    private long _oldestValid;

    public FakeKubeStore(long initialResourceVersion)
    {
        _resourceVersion = initialResourceVersion;
        _oldestValid = initialResourceVersion;
        foreach (var resource in FakeKubeResource.All)
        {
            _objects[resource] = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
        }
    }

    public enum WriteMode
    {
        Add,
        Update,
        Upsert,
    }

    public long ResourceVersion
    {
        get
        {
            lock (_lock)
            {
                return _resourceVersion;
            }
        }
    }

    /// <summary>The oldest resourceVersion a watch or a consistent list can still start from.</summary>
    public long OldestValidResourceVersion
    {
        get
        {
            lock (_lock)
            {
                return _oldestValid;
            }
        }
    }

    public static string KeyOf(FakeKubeResource resource, string? ns, string name) =>
        resource.Namespaced ? ns + "/" + name : name;

    /// <summary>Stores <paramref name="obj"/> (apiVersion and kind already set) at a new revision and tells the watches.</summary>
    public StoredObject Write(FakeKubeResource resource, JsonObject obj, WriteMode mode)
    {
        var meta = obj["metadata"] as JsonObject ?? throw new ArgumentException($"a {resource.Kind} needs metadata", nameof(obj));
        var name = meta["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException($"a {resource.Kind} needs metadata.name", nameof(obj));
        }

        string? ns = null;
        if (resource.Namespaced)
        {
            ns = meta["namespace"]?.GetValue<string>();
            if (string.IsNullOrEmpty(ns))
            {
                ns = "default";
                meta["namespace"] = ns;
            }
        }
        else
        {
            meta.Remove("namespace");
        }

        var key = KeyOf(resource, ns, name);
        lock (_lock)
        {
            var objects = _objects[resource];
            objects.TryGetValue(key, out var old);
            if (mode == WriteMode.Add && old is not null)
            {
                throw new InvalidOperationException($"{resource.QualifiedName} \"{name}\" already exists");
            }

            if (mode == WriteMode.Update && old is null)
            {
                throw new InvalidOperationException($"{resource.QualifiedName} \"{name}\" not found");
            }

            // What the API server fills in: uid and creationTimestamp on create, kept on update.
            var oldMeta = old?.Element.GetProperty("metadata");
            if (meta["uid"] is null)
            {
                meta["uid"] = oldMeta is { } om && om.TryGetProperty("uid", out var uid) ? uid.GetString() : Guid.NewGuid().ToString();
            }

            if (meta["creationTimestamp"] is null)
            {
                meta["creationTimestamp"] = oldMeta is { } om && om.TryGetProperty("creationTimestamp", out var created)
                    ? created.GetString()
                    : DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            }

            var rv = ++_resourceVersion;
            meta["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
            var stored = StoredObject.Create(key, rv, obj);
            objects[key] = stored;
            Record(new HistoryEvent(rv, resource, old is null ? HistoryEvent.Added : HistoryEvent.Modified, old, stored));
            return stored;
        }
    }

    /// <summary>Deletes an object at a new revision; the DELETED event carries its last state at that revision.</summary>
    public StoredObject Delete(FakeKubeResource resource, string? ns, string name)
    {
        var key = KeyOf(resource, ns, name);
        lock (_lock)
        {
            if (!_objects[resource].Remove(key, out var old))
            {
                throw new InvalidOperationException($"{resource.QualifiedName} \"{name}\" not found");
            }

            var rv = ++_resourceVersion;
            var tombstone = old.WithResourceVersion(rv);
            Record(new HistoryEvent(rv, resource, HistoryEvent.Deleted, old, tombstone));
            return tombstone;
        }
    }

    public StoredObject? Get(FakeKubeResource resource, string? ns, string name)
    {
        lock (_lock)
        {
            return _objects[resource].GetValueOrDefault(KeyOf(resource, ns, name));
        }
    }

    public List<StoredObject> All(FakeKubeResource resource)
    {
        lock (_lock)
        {
            return [.. _objects[resource].Values];
        }
    }

    /// <summary>
    /// A page of the state at <paramref name="at"/> (null: now), after <paramref name="startKey"/>; null when
    /// that revision was compacted away (the caller answers 410).
    /// </summary>
    public ListPage? List(FakeKubeResource resource, ObjectFilter filter, long? at, string? startKey, long? limit)
    {
        lock (_lock)
        {
            var listRv = at ?? _resourceVersion;
            IEnumerable<StoredObject> state;
            if (listRv == _resourceVersion)
            {
                state = _objects[resource].Values;
            }
            else
            {
                if (listRv < _oldestValid || listRv > _resourceVersion)
                {
                    return null;
                }

                state = StateAt(resource, listRv).Values;
            }

            var matching = state
                .Where(o => startKey is null || string.CompareOrdinal(o.Key, startKey) >= 0)
                .Where(filter.Matches)
                .ToList();
            var page = limit is > 0 && matching.Count > limit ? matching.GetRange(0, (int)limit.Value) : matching;
            string? next = null;
            long? remaining = null;
            if (page.Count < matching.Count)
            {
                next = ContinueToken.Encode(listRv, page[^1].Key);
                remaining = filter.HasSelectors ? null : matching.Count - page.Count;
            }

            return new ListPage([.. page.Select(o => o.ItemJson)], listRv, next, remaining);
        }
    }

    /// <summary>
    /// Opens a watch. <paramref name="from"/> null means "now, after the current state as ADDED events"
    /// (resourceVersion unset or 0). A compacted revision gets the 410 ERROR event and the end of the stream.
    /// </summary>
    public WatchSession OpenWatch(FakeKubeResource resource, ObjectFilter filter, long? from, bool bookmarks, bool sendInitialEvents)
    {
        var session = new WatchSession(resource, filter, bookmarks);
        lock (_lock)
        {
            if (from is { } rv && rv < _oldestValid && !sendInitialEvents)
            {
                var status = KubeStatus.Failure(System.Net.HttpStatusCode.Gone, "Expired", $"too old resource version: {rv} ({_oldestValid})");
                session.Enqueue(WatchSession.Line("ERROR", KubeStatus.Json(status)));
                session.Complete();
                return session;
            }

            if (from is null || sendInitialEvents)
            {
                foreach (var obj in _objects[resource].Values.Where(filter.Matches))
                {
                    session.Enqueue(WatchSession.Line(HistoryEvent.Added, obj.Json));
                }

                if (sendInitialEvents && bookmarks)
                {
                    session.Enqueue(BookmarkLine(resource, _resourceVersion, initialEventsEnd: true));
                }
            }
            else
            {
                foreach (var e in _history.Where(e => e.ResourceVersion > from && e.Resource == resource))
                {
                    session.Offer(e);
                }
            }

            _watches.Add(session);
            return session;
        }
    }

    public void CloseWatch(WatchSession session)
    {
        lock (_lock)
        {
            _watches.Remove(session);
        }
    }

    public int OpenWatchCount(FakeKubeResource? resource)
    {
        lock (_lock)
        {
            return _watches.Count(w => resource is null || w.Resource == resource);
        }
    }

    /// <summary>A BOOKMARK at the current revision to the watches of <paramref name="resource"/> (null: all) that allow them.</summary>
    public int Bookmark(FakeKubeResource? resource) => ForWatches(resource, w =>
    {
        if (w.Bookmarks)
        {
            w.Enqueue(BookmarkLine(w.Resource, _resourceVersion, initialEventsEnd: false));
            return true;
        }

        return false;
    });

    /// <summary>A BOOKMARK to one watch, if it is still open and allows them.</summary>
    public void Bookmark(WatchSession session)
    {
        lock (_lock)
        {
            if (session.Bookmarks && _watches.Contains(session))
            {
                session.Enqueue(BookmarkLine(session.Resource, _resourceVersion, initialEventsEnd: false));
            }
        }
    }

    /// <summary>Writes a raw line into the watches of <paramref name="resource"/>.</summary>
    public int Broadcast(FakeKubeResource resource, Func<long, string> line) => ForWatches(resource, w =>
    {
        w.Enqueue(line(_resourceVersion));
        return true;
    });

    public int Stop(FakeKubeResource? resource, WatchSession.Ending how) => ForWatches(resource, w =>
    {
        w.Stop(how);
        return true;
    });

    /// <summary>Forgets the history: watches and consistent lists from before now get 410.</summary>
    public void Compact()
    {
        lock (_lock)
        {
            _history.Clear();
            _oldestValid = _resourceVersion;
        }
    }

    private static string BookmarkLine(FakeKubeResource resource, long rv, bool initialEventsEnd)
    {
        var annotations = initialEventsEnd ? ""","annotations":{"k8s.io/initial-events-end":"true"}""" : string.Empty;
        var obj = $$"""{"kind":"{{resource.Kind}}","apiVersion":"{{resource.ApiVersion}}","metadata":{"resourceVersion":"{{rv.ToString(CultureInfo.InvariantCulture)}}","creationTimestamp":null{{annotations}}}{{resource.EmptyBody}}}""";
        return WatchSession.Line("BOOKMARK", obj);
    }

    private int ForWatches(FakeKubeResource? resource, Func<WatchSession, bool> action)
    {
        lock (_lock)
        {
            var count = 0;
            foreach (var w in _watches.Where(w => resource is null || w.Resource == resource))
            {
                if (action(w))
                {
                    count++;
                }
            }

            return count;
        }
    }

    private void Record(HistoryEvent e)
    {
        _history.Add(e);
        foreach (var w in _watches.Where(w => w.Resource == e.Resource))
        {
            w.Offer(e);
        }
    }

    /// <summary>The objects of <paramref name="resource"/> as they were at revision <paramref name="rv"/>, undoing later writes.</summary>
    private SortedDictionary<string, StoredObject> StateAt(FakeKubeResource resource, long rv)
    {
        var state = new SortedDictionary<string, StoredObject>(_objects[resource], StringComparer.Ordinal);
        for (var i = _history.Count - 1; i >= 0 && _history[i].ResourceVersion > rv; i--)
        {
            var e = _history[i];
            if (e.Resource != resource)
            {
                continue;
            }

            if (e.Old is null)
            {
                state.Remove(e.New.Key);
            }
            else
            {
                state[e.Old.Key] = e.Old;
            }
        }

        return state;
    }
}
