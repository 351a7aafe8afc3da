using k8s;
using k8s.Autorest;

namespace AlsAnalyzer.Server.Kubernetes;

/// <summary>One page of a list of a resource (cluster scope).</summary>
internal delegate Task<HttpOperationResponse<TList>> ListCall<TList>(
    string? continueToken,
    int limit,
    CancellationToken cancellationToken);

/// <summary>A watch of a resource from a resourceVersion, with bookmarks; errors inside the stream go to <paramref name="onError"/>.</summary>
internal delegate IAsyncEnumerable<(WatchEventType Type, TObject Item)> WatchCall<TObject>(
    string resourceVersion,
    int timeoutSeconds,
    Action<Exception> onError,
    CancellationToken cancellationToken);
