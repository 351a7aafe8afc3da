namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>Settings of a <see cref="FakeKubeApiServer"/>; the defaults behave like a real API server.</summary>
public sealed class FakeKubeApiServerOptions
{
    /// <summary>The bearer token clients must send (written to the kubeconfig); null accepts any request.</summary>
    public string? Token { get; init; } = "fake-kube-token";

    /// <summary>The user named in 403 messages, as RBAC names a service account.</summary>
    public string User { get; init; } = "system:serviceaccount:als-system:als-analyzer";

    /// <summary>The resourceVersion of the empty store; the first write gets this plus one.</summary>
    public long InitialResourceVersion { get; init; } = 1000;

    /// <summary>How long a watch without <c>timeoutSeconds</c> stays open (real servers pick 30 to 60 minutes).</summary>
    public TimeSpan DefaultWatchTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Periodic BOOKMARK events to watches that allow them (real servers: about every minute); null for none.</summary>
    public TimeSpan? BookmarkInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A BOOKMARK this long before a watch's timeout, as the real watch cache sends 2 s before the deadline
    /// (it keeps an idle watch from ending without any line, which KubernetesClient reports as an error); null for none.
    /// </summary>
    public TimeSpan? BookmarkBeforeTimeout { get; init; } = TimeSpan.FromSeconds(2);
}
