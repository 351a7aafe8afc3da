using System.Collections.Concurrent;

namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>Every request that reached the fake, with counters per (resource, verb) and the resourceVersions watches asked for.</summary>
internal sealed class FakeKubeRequestLog
{
    private readonly ConcurrentQueue<FakeKubeRequest> _requests = new();
    private readonly ConcurrentDictionary<(string Resource, FakeKubeVerb Verb), int> _counts = new();

    public IReadOnlyList<FakeKubeRequest> Requests => [.. _requests];

    public void Record(FakeKubeRequest request)
    {
        _requests.Enqueue(request);
        if (request is { Resource: { } resource, Verb: { } verb })
        {
            _counts.AddOrUpdate((resource, verb), 1, (_, n) => n + 1);
        }
    }

    public int Count(string resource, FakeKubeVerb verb) => _counts.GetValueOrDefault((resource, verb));

    /// <summary>The resourceVersion parameter of each watch of <paramref name="resource"/>, in order ("" when absent).</summary>
    public IReadOnlyList<string> WatchResourceVersions(string resource) =>
        [.. _requests.Where(r => r.Resource == resource && r.Verb == FakeKubeVerb.Watch).Select(r => r.ResourceVersion ?? string.Empty)];

    public void Clear()
    {
        _requests.Clear();
        _counts.Clear();
    }
}
