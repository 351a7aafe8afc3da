using System.Net;
using AlsAnalyzer.Testing.FakeKube;
using k8s;
using k8s.Autorest;
using k8s.Models;
using KubeClient = k8s.Kubernetes;

namespace AlsAnalyzer.Server.Tests.FakeKube;

/// <summary>
/// The fake API server against the real KubernetesClient (21.0.8), configured from the kubeconfig the fake
/// writes. Besides checking the fake, these pin down how the client surfaces each server behaviour:
/// <list type="bullet">
/// <item>410 on a watch (compacted history) arrives as an ERROR event with a Status: the client does not yield
/// it, it calls onError with a <see cref="KubernetesException"/> whose Status.Code is 410 (reason Expired), then
/// the enumeration completes normally when the server closes the stream. Without an onError the 410 is silent.</item>
/// <item>410/403/422/503 as an HTTP status (list, or a watch refused before streaming) throw
/// <see cref="HttpOperationException"/>; Response.StatusCode and Response.Content (the Status JSON) tell why.
/// For a watch the exception comes out of the first MoveNextAsync.</item>
/// <item>A dropped connection makes the enumeration throw an <see cref="IOException"/> (HttpIOException
/// "response ended prematurely"), not onError.</item>
/// <item>A non-JSON line or an object that does not deserialize goes to onError as a JsonException; the
/// enumeration goes on with the next line.</item>
/// <item>The client only returns from the watch request once the first line arrives; a watch that ends
/// without sending a single line fails with an <see cref="HttpRequestException"/> (an EndOfStreamException
/// inside). Real servers avoid that with a bookmark 2 s before the timeout when bookmarks are allowed; so does the fake.</item>
/// </list>
/// </summary>
public sealed class FakeKubeApiServerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Kubeconfig_PlainHttpWithToken_IsAcceptedByTheRealClient()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        var path = Path.Combine(Path.GetTempPath(), $"fake-kube-test-{Guid.NewGuid():N}.kubeconfig");
        try
        {
            kube.WriteKubeconfig(path);
            var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
            using var client = new KubeClient(config);

            var list = await client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: Ct).WaitAsync(Wait, Ct);

            Assert.StartsWith($"http://127.0.0.1:{kube.Port}", config.Host, StringComparison.Ordinal);
            Assert.Equal(kube.Token, config.AccessToken);
            Assert.Equal("default", config.Namespace);
            Assert.Equal("PodList", list.Kind);
            Assert.Equal("v1", list.ApiVersion);
            Assert.Equal(kube.ResourceVersion, list.Metadata.ResourceVersion);
            Assert.Empty(list.Items);
            var request = Assert.Single(kube.Requests);
            Assert.Equal("HTTP/1.1", request.Protocol);
            Assert.Equal("Bearer " + kube.Token, request.Authorization);
            Assert.Equal("/api/v1/pods", request.Path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Wire_WatchIsChunkedNewlineDelimitedJson_AndListItemsHaveNoKind()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = kube.BaseAddress, Timeout = Wait };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", kube.Token);
        kube.Add(Pod("default", "a", "10.0.0.1"));
        var rv = kube.ResourceVersion;

        var list = await http.GetStringAsync(new Uri("/api/v1/namespaces/default/pods", UriKind.Relative), Ct).WaitAsync(Wait, Ct);
        using var response = await http.GetAsync(new Uri($"/api/v1/namespaces/default/pods?watch=1&resourceVersion={rv}&allowWatchBookmarks=true", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, Ct).WaitAsync(Wait, Ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct).WaitAsync(Wait, Ct));
        await kube.WaitForOpenWatchesAsync(FakeKubeResources.Pods, cancellationToken: Ct);
        kube.Add(Pod("other", "x", "10.0.0.2"));
        kube.Add(Pod("default", "b", "10.0.0.3"));
        kube.SendBookmark();
        var added = await reader.ReadLineAsync(Ct).AsTask().WaitAsync(Wait, Ct);
        var bookmark = await reader.ReadLineAsync(Ct).AsTask().WaitAsync(Wait, Ct);

        Assert.StartsWith($$"""{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"{{rv}}"},"items":[{"metadata":{""", list, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.TransferEncodingChunked);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("""{"type":"ADDED","object":{"apiVersion":"v1","kind":"Pod","metadata":{""", added, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"b\"", added, StringComparison.Ordinal);
        Assert.Equal(
            """{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"RV","creationTimestamp":null},"spec":{"containers":null},"status":{}}}""".Replace("RV", kube.ResourceVersion, StringComparison.Ordinal),
            bookmark);
    }

    [Fact]
    public async Task List_WithLimit_PagesAConsistentSnapshotInKeyOrder()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        kube.Add(Pod("b", "p1", "10.0.0.1"));
        kube.Add(Pod("a", "p2", "10.0.0.2"));
        kube.Add(Pod("a", "p1", "10.0.0.3"));
        kube.Add(Pod("c", "p1", "10.0.0.4"));
        kube.Add(Pod("b", "p0", "10.0.0.5"));
        var rv = kube.ResourceVersion;

        var first = await client.CoreV1.ListPodForAllNamespacesAsync(limit: 2, cancellationToken: Ct).WaitAsync(Wait, Ct);
        // Writes between pages do not show: continuing serves the snapshot of the first page.
        kube.Add(Pod("a", "p3", "10.0.0.6"));
        kube.Modify<V1Pod>("c", "p1", p => p.Status.PodIP = "10.9.9.9");
        var second = await client.CoreV1.ListPodForAllNamespacesAsync(limit: 2, continueParameter: first.Metadata.ContinueProperty, cancellationToken: Ct).WaitAsync(Wait, Ct);
        var third = await client.CoreV1.ListPodForAllNamespacesAsync(limit: 2, continueParameter: second.Metadata.ContinueProperty, cancellationToken: Ct).WaitAsync(Wait, Ct);

        Assert.Equal(["a/p1", "a/p2"], Keys(first.Items));
        Assert.Equal(["b/p0", "b/p1"], Keys(second.Items));
        Assert.Equal(["c/p1"], Keys(third.Items));
        Assert.Equal(3, first.Metadata.RemainingItemCount);
        Assert.Equal(1, second.Metadata.RemainingItemCount);
        Assert.Null(third.Metadata.RemainingItemCount);
        Assert.True(string.IsNullOrEmpty(third.Metadata.ContinueProperty));
        Assert.All([first, second, third], l => Assert.Equal(rv, l.Metadata.ResourceVersion));
        Assert.Equal("10.0.0.4", third.Items[0].Status.PodIP);

        // Like the real server, list items carry no apiVersion/kind (the list does), but their own resourceVersion.
        Assert.All(first.Items, p => Assert.Null(p.Kind));
        Assert.All(first.Items, p => Assert.False(string.IsNullOrEmpty(p.Metadata.ResourceVersion)));
        Assert.All(first.Items, p => Assert.False(string.IsNullOrEmpty(p.Metadata.Uid)));

        var fresh = await client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: Ct).WaitAsync(Wait, Ct);
        Assert.Equal(6, fresh.Items.Count);
        Assert.Equal(kube.ResourceVersion, fresh.Metadata.ResourceVersion);
        Assert.Null(fresh.Metadata.ContinueProperty);
        Assert.Empty(kube.ServerErrors);
    }

    [Fact]
    public async Task List_ContinueAfterCompaction_Is410Expired()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        kube.Add(Pod("a", "p1", "10.0.0.1"));
        kube.Add(Pod("a", "p2", "10.0.0.2"));
        var first = await client.CoreV1.ListPodForAllNamespacesAsync(limit: 1, cancellationToken: Ct).WaitAsync(Wait, Ct);
        kube.Add(Pod("a", "p3", "10.0.0.3"));
        kube.CompactHistory();

        var ex = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CoreV1.ListPodForAllNamespacesAsync(limit: 1, continueParameter: first.Metadata.ContinueProperty, cancellationToken: Ct).WaitAsync(Wait, Ct));

        Assert.Equal(HttpStatusCode.Gone, ex.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(ex.Response.Content);
        Assert.Equal(("Status", "Failure", "Expired", 410), (status.Kind, status.Status, status.Reason, status.Code));
        Assert.StartsWith("The provided continue parameter is too old", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_NamespaceAndSelectors_FilterAsTheApiServerDoes()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        kube.AddAll(
            KubeObjects.DeploymentPod("default", "reviews", "10.4.1.10", "node-1", "10.128.0.1", "v1"),
            KubeObjects.DeploymentPod("default", "reviews", "10.4.2.10", "node-2", "10.128.0.2", "v2"),
            KubeObjects.DeploymentPod("default", "ratings", "10.4.1.11", "node-1", "10.128.0.1"),
            KubeObjects.DeploymentPod("shop", "reviews", "10.4.2.11", "node-2", "10.128.0.2"));

        var inDefault = await client.CoreV1.ListNamespacedPodAsync("default", cancellationToken: Ct).WaitAsync(Wait, Ct);
        var byLabels = await client.CoreV1.ListPodForAllNamespacesAsync(labelSelector: "app=reviews,version!=v1", cancellationToken: Ct).WaitAsync(Wait, Ct);
        var bySet = await client.CoreV1.ListPodForAllNamespacesAsync(labelSelector: "app in (ratings, details),!missing", cancellationToken: Ct).WaitAsync(Wait, Ct);
        var byNode = await client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: "spec.nodeName=node-1,status.phase=Running", cancellationToken: Ct).WaitAsync(Wait, Ct);
        var bad = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: "spec.bogus=x", cancellationToken: Ct).WaitAsync(Wait, Ct));

        Assert.Equal(3, inDefault.Items.Count);
        Assert.All(inDefault.Items, p => Assert.Equal("default", p.Metadata.NamespaceProperty));
        Assert.Equal(["default/v2"], byLabels.Items.Select(p => p.Metadata.NamespaceProperty + "/" + p.Metadata.Labels["version"]));
        Assert.Equal("ratings", Assert.Single(bySet.Items).Metadata.Labels["app"]);
        Assert.Equal(2, byNode.Items.Count);
        Assert.Equal(HttpStatusCode.BadRequest, bad.Response.StatusCode);
        Assert.Contains("field label not supported: spec.bogus", bad.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_ByName_ReturnsTheObjectWithKind_AndAMissingOneIs404()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        var stored = kube.Add(KubeObjects.Node("node-1", "10.128.0.1"));

        var node = await client.CoreV1.ReadNodeAsync("node-1", cancellationToken: Ct).WaitAsync(Wait, Ct);
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedPodAsync("nope", "default", cancellationToken: Ct).WaitAsync(Wait, Ct));

        Assert.Equal("Node", node.Kind);
        Assert.Equal(stored.Metadata.ResourceVersion, node.Metadata.ResourceVersion);
        Assert.Equal("10.128.0.1", node.Status.Addresses.Single(a => a.Type == "InternalIP").Address);
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        Assert.Equal("pods \"nope\" not found", KubernetesJson.Deserialize<V1Status>(missing.Response.Content).Message);
    }

    [Fact]
    public async Task Watch_FromAListResourceVersion_StreamsAddedModifiedDeletedInOrder()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        kube.Add(Pod("default", "before", "10.0.0.1"));
        var list = await client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: Ct).WaitAsync(Wait, Ct);
        // Written after the list but before the watch: replayed from history.
        kube.Add(Pod("default", "a", "10.0.0.2"));
        kube.Add(KubeObjects.Node("node-1", "10.128.0.1"));

        await using var watch = WatchPods(client, list.Metadata.ResourceVersion);
        await kube.WaitForOpenWatchesAsync(FakeKubeResources.Pods, cancellationToken: Ct);
        kube.Modify<V1Pod>("default", "a", p => p.Metadata.Labels["version"] = "v2");
        var deleted = kube.Delete<V1Pod>("default", "before");
        var events = await watch.TakeAsync(3);

        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted], events.Select(e => e.Type));
        Assert.Equal(["a", "a", "before"], events.Select(e => e.Object.Metadata.Name));
        Assert.All(events, e => Assert.Equal(("Pod", "v1"), (e.Object.Kind, e.Object.ApiVersion)));
        var rvs = events.Select(e => long.Parse(e.Object.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(rvs.Order(), rvs);
        Assert.True(rvs[0] > long.Parse(list.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture));
        // The node write in between took a resourceVersion too: one counter for all kinds.
        Assert.Equal(rvs[0] + 2, rvs[1]);
        // DELETED carries the last state at the deletion's resourceVersion.
        Assert.Equal(deleted.Metadata.ResourceVersion, events[2].Object.Metadata.ResourceVersion);
        Assert.Equal(kube.ResourceVersion, events[2].Object.Metadata.ResourceVersion);
        Assert.Equal(list.Metadata.ResourceVersion, kube.LastWatchResourceVersion(FakeKubeResources.Pods));
        Assert.Empty(kube.ServerErrors);
    }

    [Fact]
    public async Task Watch_WithoutResourceVersion_StartsWithTheCurrentStateAsAdded()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        kube.Add(Pod("default", "a", "10.0.0.1"));
        kube.Add(Pod("default", "b", "10.0.0.2"));
        kube.Delete<V1Pod>("default", "a");

        await using var watch = WatchPods(client, resourceVersion: null);
        var first = await watch.NextAsync();
        await kube.WaitForOpenWatchesAsync(FakeKubeResources.Pods, cancellationToken: Ct);
        kube.Add(Pod("default", "c", "10.0.0.3"));
        var second = await watch.NextAsync();

        Assert.Equal((WatchEventType.Added, "b"), (first.Type, first.Object.Metadata.Name));
        Assert.Equal((WatchEventType.Added, "c"), (second.Type, second.Object.Metadata.Name));
    }

    [Fact]
    public async Task Watch_SendInitialEvents_GivesTheStateThenABookmarkMarkingItsEnd()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        kube.Add(Pod("default", "a", "10.0.0.1"));
        kube.Add(Pod("default", "b", "10.0.0.2"));

        await using var watch = WatchRecorder<V1Pod>.Start(
            (onError, ct) => client.CoreV1.WatchListPodForAllNamespacesAsync(
                allowWatchBookmarks: true,
                sendInitialEvents: true,
                resourceVersionMatch: "NotOlderThan",
                resourceVersion: string.Empty,
                onError: onError,
                cancellationToken: ct),
            Ct);
        var events = await watch.TakeAsync(3);

        Assert.Equal([WatchEventType.Added, WatchEventType.Added, WatchEventType.Bookmark], events.Select(e => e.Type));
        Assert.Equal("true", events[2].Object.Metadata.Annotations["k8s.io/initial-events-end"]);
        Assert.Equal(kube.ResourceVersion, events[2].Object.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Watch_LabelSelector_ChangesIntoAndOutOfItAreAddedAndDeleted()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        kube.Add(Pod("default", "a", "10.0.0.1"));
        var rv = kube.ResourceVersion;

        await using var watch = WatchRecorder<V1Pod>.Start(
            (onError, ct) => client.CoreV1.WatchListPodForAllNamespacesAsync(labelSelector: "tier=web", resourceVersion: rv, onError: onError, cancellationToken: ct),
            Ct);
        await kube.WaitForOpenWatchesAsync(FakeKubeResources.Pods, cancellationToken: Ct);
        kube.Modify<V1Pod>("default", "a", p => p.Metadata.Labels["tier"] = "web");
        kube.Modify<V1Pod>("default", "a", p => p.Status.PodIP = "10.0.0.9");
        kube.Modify<V1Pod>("default", "a", p => p.Metadata.Labels.Remove("tier"));
        var events = await watch.TakeAsync(3);

        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted], events.Select(e => e.Type));
        Assert.Equal(kube.ResourceVersion, events[2].Object.Metadata.ResourceVersion);
        Assert.Equal("web", events[2].Object.Metadata.Labels["tier"]);
    }

    [Theory]
    [InlineData(FakeKubeResources.Pods)]
    [InlineData(FakeKubeResources.Services)]
    [InlineData(FakeKubeResources.Nodes)]
    [InlineData(FakeKubeResources.EndpointSlices)]
    [InlineData(FakeKubeResources.ReplicaSets)]
    public async Task Watch_Bookmark_CarriesTheCurrentResourceVersionAndTheWatchedKind(string resource)
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        kube.Add(KubeObjects.Node("node-1", "10.128.0.1"));
        var rv = kube.ResourceVersion;
        kube.Add(KubeObjects.Node("node-2", "10.128.0.2"));

        var (type, kind, apiVersion, bookmarkRv) = resource switch
        {
            FakeKubeResources.Pods => await BookmarkAsync(kube, resource, (e, ct) => client.CoreV1.WatchListPodForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, onError: e, cancellationToken: ct)),
            FakeKubeResources.Services => await BookmarkAsync(kube, resource, (e, ct) => client.CoreV1.WatchListServiceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, onError: e, cancellationToken: ct)),
            FakeKubeResources.Nodes => await BookmarkAsync(kube, resource, (e, ct) => client.CoreV1.WatchListNodeAsync(allowWatchBookmarks: true, resourceVersion: kube.ResourceVersion, onError: e, cancellationToken: ct)),
            FakeKubeResources.EndpointSlices => await BookmarkAsync(kube, resource, (e, ct) => client.DiscoveryV1.WatchListEndpointSliceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, onError: e, cancellationToken: ct)),
            _ => await BookmarkAsync(kube, resource, (e, ct) => client.AppsV1.WatchListReplicaSetForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, onError: e, cancellationToken: ct)),
        };

        Assert.Equal(WatchEventType.Bookmark, type);
        Assert.Equal(kube.ResourceVersion, bookmarkRv);
        Assert.Equal(resource switch
        {
            FakeKubeResources.Pods => ("Pod", "v1"),
            FakeKubeResources.Services => ("Service", "v1"),
            FakeKubeResources.Nodes => ("Node", "v1"),
            FakeKubeResources.EndpointSlices => ("EndpointSlice", "discovery.k8s.io/v1"),
            _ => ("ReplicaSet", "apps/v1"),
        }, (kind, apiVersion));
    }

    [Fact]
    public async Task Watch_BookmarksNotAllowed_GetNone()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();

        await using var watch = WatchPods(client, kube.ResourceVersion, bookmarks: false);
        await kube.WaitForOpenWatchesAsync(FakeKubeResources.Pods, cancellationToken: Ct);
        var sent = kube.SendBookmark();
        kube.Add(Pod("default", "a", "10.0.0.1"));
        var next = await watch.NextAsync();

        Assert.Equal(0, sent);
        Assert.Equal(WatchEventType.Added, next.Type);
    }

    [Fact]
    public async Task Watch_CompactedResourceVersion_Is410ErrorEventThroughOnError_ThenTheStreamEnds()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        kube.Add(Pod("default", "a", "10.0.0.1"));
        var old = kube.ResourceVersion;
        kube.Add(Pod("default", "b", "10.0.0.2"));
        kube.CompactHistory();

        await using var watch = WatchPods(client, old);
        var error = await watch.NextErrorAsync();
        var end = await watch.EndAsync();

        var status = Assert.IsType<KubernetesException>(error).Status;
        Assert.Equal(("Status", "v1", "Failure", "Expired", 410), (status.Kind, status.ApiVersion, status.Status, status.Reason, status.Code));
        Assert.Equal($"too old resource version: {old} ({kube.OldestValidResourceVersion})", status.Message);
        Assert.Null(end);
        Assert.Empty(watch.Drain());
        Assert.Empty(kube.ServerErrors);
        // From the compaction point on, watching works again.
        await using var again = WatchPods(client, kube.OldestValidResourceVersion);
        await kube.WaitForOpenWatchesAsync(FakeKubeResources.Pods, cancellationToken: Ct);
        kube.Add(Pod("default", "c", "10.0.0.3"));
        Assert.Equal("c", (await again.NextAsync()).Object.Metadata.Name);
    }

    [Fact]
    public async Task Watch_Timeout_WithBookmarksAllowed_EndsCleanlyAfterABookmark()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();

        await using var watch = WatchPods(client, kube.ResourceVersion, bookmarks: true, timeoutSeconds: 3);
        var bookmark = await watch.NextAsync();
        var end = await watch.EndAsync();

        Assert.Equal(WatchEventType.Bookmark, bookmark.Type);
        Assert.Null(end);
        Assert.Equal(0, kube.OpenWatchCount());
    }

    [Fact]
    public async Task Watch_EndingWithoutASingleLine_FailsInTheClient()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();

        await using var watch = WatchPods(client, kube.ResourceVersion, bookmarks: false, timeoutSeconds: 1);
        var end = await watch.EndAsync();

        var ex = Assert.IsType<HttpRequestException>(end);
        Assert.IsType<EndOfStreamException>(ex.InnerException);
    }

    [Fact]
    public async Task Watch_CloseWatchConnections_EndsTheEnumerationCleanly()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        await using var watch = WatchPods(client, kube.ResourceVersion);
        await kube.WaitForOpenWatchesAsync(FakeKubeResources.Pods, cancellationToken: Ct);
        kube.Add(Pod("default", "a", "10.0.0.1"));
        await watch.NextAsync();

        var closed = kube.CloseWatchConnections(FakeKubeResources.Pods);

        Assert.Equal(1, closed);
        Assert.Null(await watch.EndAsync());
    }

    [Fact]
    public async Task Watch_DroppedConnection_MakesTheEnumerationThrowIOException()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        await using var watch = WatchPods(client, kube.ResourceVersion);
        await kube.WaitForOpenWatchesAsync(FakeKubeResources.Pods, cancellationToken: Ct);
        kube.Add(Pod("default", "a", "10.0.0.1"));
        await watch.NextAsync();

        var dropped = kube.DropWatchConnections();
        var end = await watch.EndAsync();

        Assert.Equal(1, dropped);
        Assert.IsAssignableFrom<IOException>(end);
        await kube.WaitForWatchesClosedAsync(FakeKubeResources.Pods, cancellationToken: Ct);
    }

    [Fact]
    public async Task Watch_GarbageLineAndMalformedObject_GoToOnError_AndTheStreamGoesOn()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        await using var watch = WatchPods(client, kube.ResourceVersion);
        await kube.WaitForOpenWatchesAsync(FakeKubeResources.Pods, cancellationToken: Ct);
        // A first good line: the client only hands over the stream once one arrived.
        kube.Add(Pod("default", "a", "10.0.0.1"));
        await watch.NextAsync();

        Assert.Equal(1, kube.SendGarbage(FakeKubeResources.Pods));
        Assert.Equal(1, kube.SendMalformedObject(FakeKubeResources.Pods));
        kube.Add(Pod("default", "b", "10.0.0.2"));
        var garbage = await watch.NextErrorAsync();
        var malformed = await watch.NextErrorAsync();
        var next = await watch.NextAsync();

        Assert.IsType<System.Text.Json.JsonException>(garbage, exactMatch: false);
        Assert.IsType<System.Text.Json.JsonException>(malformed, exactMatch: false);
        Assert.Equal((WatchEventType.Added, "b"), (next.Type, next.Object.Metadata.Name));
    }

    [Fact]
    public async Task Forbid_ListAndWatch_Are403WithTheRbacStatus()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        kube.Forbid(FakeKubeResources.Pods);
        kube.Forbid(FakeKubeResources.EndpointSlices, FakeKubeVerb.Watch);

        var list = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: Ct).WaitAsync(Wait, Ct));
        var namespaced = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespacedPodAsync("shop", cancellationToken: Ct).WaitAsync(Wait, Ct));
        await using var podWatch = WatchPods(client, kube.ResourceVersion);
        var watchEnd = await podWatch.EndAsync();
        await using var sliceWatch = WatchRecorder<V1EndpointSlice>.Start(
            (e, ct) => client.DiscoveryV1.WatchListEndpointSliceForAllNamespacesAsync(resourceVersion: kube.ResourceVersion, onError: e, cancellationToken: ct),
            Ct);
        var sliceEnd = await sliceWatch.EndAsync();
        var slices = await client.DiscoveryV1.ListEndpointSliceForAllNamespacesAsync(cancellationToken: Ct).WaitAsync(Wait, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, list.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(list.Response.Content);
        Assert.Equal(("Failure", "Forbidden", 403, "pods"), (status.Status, status.Reason, status.Code, status.Details.Kind));
        Assert.Equal("pods is forbidden: User \"system:serviceaccount:als-system:als-analyzer\" cannot list resource \"pods\" in API group \"\" at the cluster scope", status.Message);
        Assert.EndsWith("in the namespace \"shop\"", KubernetesJson.Deserialize<V1Status>(namespaced.Response.Content).Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, Assert.IsType<HttpOperationException>(watchEnd).Response.StatusCode);
        var sliceStatus = KubernetesJson.Deserialize<V1Status>(Assert.IsType<HttpOperationException>(sliceEnd).Response.Content);
        Assert.Equal(
            "endpointslices.discovery.k8s.io is forbidden: User \"system:serviceaccount:als-system:als-analyzer\" cannot watch resource \"endpointslices\" in API group \"discovery.k8s.io\" at the cluster scope",
            sliceStatus.Message);
        Assert.Empty(slices.Items);

        kube.Unforbid(FakeKubeResources.Pods);
        Assert.Empty((await client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: Ct).WaitAsync(Wait, Ct)).Items);
        Assert.Empty(kube.ServerErrors);
    }

    [Fact]
    public async Task Down_RefusesConnections_ThenUpServesTheSameStateOnTheSamePort()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        kube.Add(Pod("default", "a", "10.0.0.1"));
        await using var watch = WatchPods(client, kube.ResourceVersion);
        await kube.WaitForOpenWatchesAsync(FakeKubeResources.Pods, cancellationToken: Ct);
        kube.Add(Pod("default", "b", "10.0.0.2"));
        await watch.NextAsync();
        var port = kube.Port;

        await kube.DownAsync(FakeKubeOutage.Refuse, Ct).WaitAsync(Wait, Ct);
        var watchEnd = await watch.EndAsync();
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: Ct).WaitAsync(Wait, Ct));
        await kube.UpAsync(Ct).WaitAsync(Wait, Ct);
        var list = await client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: Ct).WaitAsync(Wait, Ct);

        Assert.IsAssignableFrom<IOException>(watchEnd);
        Assert.Equal(System.Net.Sockets.SocketError.ConnectionRefused, Assert.IsType<System.Net.Sockets.SocketException>(refused.InnerException).SocketErrorCode);
        Assert.Equal(port, kube.Port);
        Assert.Equal(2, list.Items.Count);
    }

    [Fact]
    public async Task Down_Unavailable_Answers503StatusUntilUp()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();

        await kube.DownAsync(FakeKubeOutage.Unavailable, Ct).WaitAsync(Wait, Ct);
        var ex = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNodeAsync(cancellationToken: Ct).WaitAsync(Wait, Ct));
        await kube.UpAsync(Ct).WaitAsync(Wait, Ct);
        var nodes = await client.CoreV1.ListNodeAsync(cancellationToken: Ct).WaitAsync(Wait, Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ex.Response.StatusCode);
        Assert.Equal("ServiceUnavailable", KubernetesJson.Deserialize<V1Status>(ex.Response.Content).Reason);
        Assert.Equal("NodeList", nodes.Kind);
        Assert.Equal(2, kube.RequestCount(FakeKubeResources.Nodes, FakeKubeVerb.List));
    }

    [Fact]
    public async Task Kubeconfig_ServerWithoutToken_StillGivesAClientTheRealLibraryAccepts()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(new FakeKubeApiServerOptions { Token = null }, Ct);
        using var client = kube.CreateClient();

        var nodes = await client.CoreV1.ListNodeAsync(cancellationToken: Ct).WaitAsync(Wait, Ct);

        Assert.Equal("NodeList", nodes.Kind);
    }

    [Fact]
    public async Task WrongToken_Is401()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(new FakeKubeApiServerOptions { Token = "expected" }, Ct);
        using var client = new KubeClient(new KubernetesClientConfiguration { Host = kube.BaseAddress.ToString(), AccessToken = "wrong" });

        var ex = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNodeAsync(cancellationToken: Ct).WaitAsync(Wait, Ct));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.Response.StatusCode);
        Assert.Equal("Unauthorized", KubernetesJson.Deserialize<V1Status>(ex.Response.Content).Reason);
    }

    [Fact]
    public async Task ResourceVersionErrors_InvalidIs422_AndInjected410IsAnHttpStatus()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();

        var invalid = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CoreV1.ListPodForAllNamespacesAsync(resourceVersion: "abc", cancellationToken: Ct).WaitAsync(Wait, Ct));
        kube.FailNextRequests(FakeKubeResources.Pods, FakeKubeVerb.Watch, HttpStatusCode.Gone);
        kube.FailNextRequests(FakeKubeResources.Pods, FakeKubeVerb.List, HttpStatusCode.TooManyRequests);
        var throttled = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: Ct).WaitAsync(Wait, Ct));
        await using var watch = WatchPods(client, kube.ResourceVersion);
        var gone = Assert.IsType<HttpOperationException>(await watch.EndAsync());
        var exactTooOld = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CoreV1.ListPodForAllNamespacesAsync(resourceVersion: "5", resourceVersionMatch: "Exact", cancellationToken: Ct).WaitAsync(Wait, Ct));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.Response.StatusCode);
        Assert.Equal("Invalid", KubernetesJson.Deserialize<V1Status>(invalid.Response.Content).Reason);
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.Response.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, gone.Response.StatusCode);
        Assert.Equal("Expired", KubernetesJson.Deserialize<V1Status>(gone.Response.Content).Reason);
        Assert.Equal(HttpStatusCode.Gone, exactTooOld.Response.StatusCode);
    }

    [Fact]
    public async Task Counters_CountListsAndWatches_AndRememberEachWatchResourceVersion()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        var first = await client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: Ct).WaitAsync(Wait, Ct);
        await using (var watch = WatchPods(client, first.Metadata.ResourceVersion))
        {
            await kube.WaitForOpenWatchesAsync(FakeKubeResources.Pods, cancellationToken: Ct);
            kube.Add(Pod("default", "a", "10.0.0.1"));
            await watch.NextAsync();
        }

        await using (var watch = WatchPods(client, kube.ResourceVersion))
        {
            await kube.WaitForRequestsAsync(FakeKubeResources.Pods, FakeKubeVerb.Watch, 2, cancellationToken: Ct);
        }

        Assert.Equal(1, kube.RequestCount(FakeKubeResources.Pods, FakeKubeVerb.List));
        Assert.Equal(2, kube.RequestCount(FakeKubeResources.Pods, FakeKubeVerb.Watch));
        Assert.Equal(0, kube.RequestCount(FakeKubeResources.Services, FakeKubeVerb.List));
        Assert.Equal([first.Metadata.ResourceVersion, kube.ResourceVersion], kube.WatchResourceVersions(FakeKubeResources.Pods));
        Assert.Equal(kube.ResourceVersion, kube.LastWatchResourceVersion(FakeKubeResources.Pods));
        Assert.Null(kube.LastWatchResourceVersion(FakeKubeResources.Nodes));
    }

    [Fact]
    public async Task ObsoleteWatchAsyncExtension_OverAWatchResponse_SeesTheSameEvents()
    {
        await using var kube = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = kube.CreateClient();
        var rv = kube.ResourceVersion;
        kube.Add(Pod("default", "a", "10.0.0.1"));

        await using var watch = WatchRecorder<V1Pod>.Start(
            (onError, ct) =>
            {
                var response = client.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(watch: true, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 30, cancellationToken: ct);
#pragma warning disable CS0618 // WatchAsync<T, L> is [Obsolete] in KubernetesClient 21 (still what WatchList*Async does inside).
                return response.WatchAsync<V1Pod, V1PodList>(onError, ct);
#pragma warning restore CS0618
            },
            Ct);
        var added = await watch.NextAsync();

        Assert.Equal((WatchEventType.Added, "a"), (added.Type, added.Object.Metadata.Name));
        Assert.Equal("true", Query(kube.Requests[^1], "watch"));
        Assert.Equal("30", Query(kube.Requests[^1], "timeoutSeconds"));
    }

    private static WatchRecorder<V1Pod> WatchPods(KubeClient client, string? resourceVersion, bool bookmarks = true, int? timeoutSeconds = null) =>
        WatchRecorder<V1Pod>.Start(
            (onError, ct) => client.CoreV1.WatchListPodForAllNamespacesAsync(
                allowWatchBookmarks: bookmarks,
                resourceVersion: resourceVersion,
                timeoutSeconds: timeoutSeconds,
                onError: onError,
                cancellationToken: ct),
            Ct);

    private static async Task<(WatchEventType Type, string Kind, string ApiVersion, string ResourceVersion)> BookmarkAsync<T>(
        FakeKubeApiServer kube,
        string resource,
        Func<Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        await using var recorder = WatchRecorder<T>.Start(watch, Ct);
        await kube.WaitForOpenWatchesAsync(resource, cancellationToken: Ct);
        var events = new List<(WatchEventType Type, T Object)>();
        Assert.Equal(1, kube.SendBookmark(resource));
        do
        {
            events.Add(await recorder.NextAsync());
        }
        while (events[^1].Type != WatchEventType.Bookmark);

        var bookmark = events[^1].Object;
        return (events[^1].Type, bookmark.Kind, bookmark.ApiVersion, bookmark.Metadata.ResourceVersion);
    }

    private static V1Pod Pod(string ns, string name, string ip)
    {
        var pod = KubeObjects.DeploymentPod(ns, "app", ip, "node-1", "10.128.0.1");
        pod.Metadata.Name = name;
        return pod;
    }

    private static List<string> Keys(IEnumerable<V1Pod> pods) => [.. pods.Select(p => p.Metadata.NamespaceProperty + "/" + p.Metadata.Name)];

    private static string? Query(FakeKubeRequest request, string name) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(request.Query).TryGetValue(name, out var v) ? v.ToString() : null;
}
