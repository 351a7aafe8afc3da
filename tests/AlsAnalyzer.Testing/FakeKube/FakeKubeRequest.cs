namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>One request that reached the fake API server (refused connections never do).</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The request path, e.g. <c>/api/v1/namespaces/default/pods</c>.</param>
/// <param name="Query">The raw query string including the leading <c>?</c>, or empty.</param>
/// <param name="Resource">The resource plural (<c>pods</c>), or null when the path is not a served resource.</param>
/// <param name="Verb">list, watch or get; null when the path is not a served resource.</param>
/// <param name="Namespace">The namespace of a namespaced path, null for cluster-wide paths.</param>
/// <param name="ResourceVersion">The <c>resourceVersion</c> query parameter, null when absent.</param>
/// <param name="Protocol">The HTTP protocol the client used, e.g. <c>HTTP/1.1</c>.</param>
/// <param name="Authorization">The Authorization header as sent, null when absent.</param>
public sealed record FakeKubeRequest(
    string Method,
    string Path,
    string Query,
    string? Resource,
    FakeKubeVerb? Verb,
    string? Namespace,
    string? ResourceVersion,
    string Protocol,
    string? Authorization);
