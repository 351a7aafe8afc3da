using System.Collections.Concurrent;
using System.Net;

namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>The failures a test has switched on: forbidden resources, an unavailable server, injected statuses.</summary>
internal sealed class FakeKubeFaults
{
    private readonly ConcurrentDictionary<string, FakeKubeVerb[]> _forbidden = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Resource, FakeKubeVerb Verb), ConcurrentQueue<HttpStatusCode>> _injected = new();
    private volatile bool _unavailable;

    public bool Unavailable
    {
        get => _unavailable;
        set => _unavailable = value;
    }

    private readonly ConcurrentDictionary<string, bool> _absent = new(StringComparer.Ordinal);

    public void Uninstall(string resource) => _absent[resource] = true;

    public void Install(string resource) => _absent.TryRemove(resource, out _);

    public bool IsAbsent(string resource) => _absent.ContainsKey(resource);

    public void Forbid(string resource, FakeKubeVerb[] verbs) => _forbidden[resource] = verbs;

    public void Unforbid(string resource) => _forbidden.TryRemove(resource, out _);

    public bool IsForbidden(string resource, FakeKubeVerb verb) =>
        _forbidden.TryGetValue(resource, out var verbs) && (verbs.Length == 0 || verbs.Contains(verb));

    public void Inject(string resource, FakeKubeVerb verb, HttpStatusCode status, int count)
    {
        var queue = _injected.GetOrAdd((resource, verb), _ => new ConcurrentQueue<HttpStatusCode>());
        for (var i = 0; i < count; i++)
        {
            queue.Enqueue(status);
        }
    }

    public bool TryTakeInjected(string resource, FakeKubeVerb verb, out HttpStatusCode status)
    {
        status = default;
        return _injected.TryGetValue((resource, verb), out var queue) && queue.TryDequeue(out status);
    }
}
