using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>
/// Answers HTTP requests the way kube-apiserver does for GET on the served resources: lists (paged,
/// consistent across pages), watches (chunked newline-delimited events), single objects, and Status
/// bodies for every failure.
/// </summary>
internal sealed class FakeKubeHandler
{
    private const string ExpiredContinueMessage =
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, " +
        "or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an " +
        "inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

    private static readonly TimeSpan TooLargeWait = TimeSpan.FromSeconds(3);

    private readonly FakeKubeStore _store;
    private readonly FakeKubeFaults _faults;
    private readonly FakeKubeRequestLog _log;
    private readonly FakeKubeApiServerOptions _options;
    private readonly CancellationToken _shutdown;
    private readonly ConcurrentQueue<Exception> _errors = new();

    public FakeKubeHandler(FakeKubeStore store, FakeKubeFaults faults, FakeKubeRequestLog log, FakeKubeApiServerOptions options, CancellationToken shutdown)
    {
        _store = store;
        _faults = faults;
        _log = log;
        _options = options;
        _shutdown = shutdown;
    }

    /// <summary>Exceptions the handler threw (each made a 500): a fake bug, which tests can assert never happened.</summary>
    public IReadOnlyList<Exception> Errors => [.. _errors];

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            await HandleCoreAsync(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && Record(ex))
        {
            // Record never matches: the exception goes on to Kestrel (a 500, or a reset once streaming).
        }
    }

    private bool Record(Exception ex)
    {
        _errors.Enqueue(ex);
        return false;
    }

    private async Task HandleCoreAsync(HttpContext context)
    {
        var request = context.Request;
        var query = request.Query;
        var path = request.Path.Value ?? "/";
        var route = Route(path);
        var watchParsed = TryParseBool(query["watch"], out var watch);
        FakeKubeVerb? verb = route is null ? null : route.Value.Name is not null ? FakeKubeVerb.Get : watch ? FakeKubeVerb.Watch : FakeKubeVerb.List;
        _log.Record(new FakeKubeRequest(
            request.Method,
            path,
            request.QueryString.Value ?? string.Empty,
            route?.Resource.Plural,
            verb,
            route?.Namespace,
            query.TryGetValue("resourceVersion", out var rv) ? rv.ToString() : null,
            request.Protocol,
            request.Headers.Authorization.Count > 0 ? request.Headers.Authorization.ToString() : null));

        if (_faults.Unavailable)
        {
            await WriteStatusAsync(context, KubeStatus.Failure(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable", "the server is currently unable to handle the request")).ConfigureAwait(false);
            return;
        }

        if (_options.Token is { } token && request.Headers.Authorization.ToString() != "Bearer " + token)
        {
            await WriteStatusAsync(context, KubeStatus.Failure(HttpStatusCode.Unauthorized, "Unauthorized", "Unauthorized")).ConfigureAwait(false);
            return;
        }

        // A resource whose CustomResourceDefinition is not installed is no resource at all.
        if (route is not { } r || verb is not { } v || _faults.IsAbsent(r.Resource.Plural))
        {
            await ServeNonResourceAsync(context, path).ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsGet(request.Method))
        {
            await WriteStatusAsync(context, KubeStatus.Failure(HttpStatusCode.MethodNotAllowed, "MethodNotAllowed", "the server does not allow this method on the requested resource")).ConfigureAwait(false);
            return;
        }

        if (!watchParsed)
        {
            await BadRequestAsync(context, $"strconv.ParseBool: parsing \"{query["watch"]}\": invalid syntax").ConfigureAwait(false);
            return;
        }

        if (_faults.IsForbidden(r.Resource.Plural, v))
        {
            await WriteStatusAsync(context, Forbidden(r.Resource, v, r.Namespace, r.Name)).ConfigureAwait(false);
            return;
        }

        if (_faults.TryTakeInjected(r.Resource.Plural, v, out var injected))
        {
            var status = KubeStatus.Failure(injected, KubeStatus.ReasonFor(injected), KubeStatus.MessageFor(injected, r.Resource));
            if (injected == HttpStatusCode.TooManyRequests)
            {
                status.Details = new V1StatusDetails { RetryAfterSeconds = 1 };
                context.Response.Headers.RetryAfter = "1";
            }

            await WriteStatusAsync(context, status).ConfigureAwait(false);
            return;
        }

        switch (v)
        {
            case FakeKubeVerb.Get:
                await ServeGetAsync(context, r.Resource, r.Namespace, r.Name!).ConfigureAwait(false);
                break;
            case FakeKubeVerb.List:
                await ServeListAsync(context, r.Resource, r.Namespace).ConfigureAwait(false);
                break;
            default:
                await ServeWatchAsync(context, r.Resource, r.Namespace).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Maps a path to (resource, namespace, name); null when kube-apiserver would answer 404.</summary>
    private static (FakeKubeResource Resource, string? Namespace, string? Name)? Route(string path)
    {
        var s = path.Trim('/').Split('/');
        string group;
        string[] rest;
        if (s.Length >= 3 && s[0] == "api")
        {
            (group, rest) = (string.Empty, s[2..]);
        }
        else if (s.Length >= 4 && s[0] == "apis")
        {
            (group, rest) = (s[1], s[3..]);
        }
        else
        {
            return null;
        }

        var version = s[0] == "api" ? s[1] : s[2];
        string? ns = null;
        if (rest.Length >= 3 && rest[0] == "namespaces")
        {
            ns = rest[1];
            rest = rest[2..];
        }

        if (rest.Length is 0 or > 2 || FakeKubeResource.Find(group, version, rest[0]) is not { } resource)
        {
            return null;
        }

        var name = rest.Length == 2 ? rest[1] : null;
        if ((ns is not null && !resource.Namespaced) || (ns is null && name is not null && resource.Namespaced) || ns == string.Empty || name == string.Empty)
        {
            return null;
        }

        return (resource, ns, name);
    }

    private async Task ServeNonResourceAsync(HttpContext context, string path)
    {
        switch (path)
        {
            case "/version":
                await WriteJsonAsync(context, HttpStatusCode.OK, """{"major":"1","minor":"34","gitVersion":"v1.34.1","gitCommit":"0000000000000000000000000000000000000000","gitTreeState":"clean","buildDate":"2025-09-09T00:00:00Z","goVersion":"go1.24.6","compiler":"gc","platform":"linux/amd64"}""").ConfigureAwait(false);
                break;
            case "/healthz" or "/livez" or "/readyz":
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("ok", _shutdown).ConfigureAwait(false);
                break;
            default:
                await WriteStatusAsync(context, KubeStatus.Failure(HttpStatusCode.NotFound, "NotFound", "the server could not find the requested resource", new V1StatusDetails())).ConfigureAwait(false);
                break;
        }
    }

    private async Task ServeGetAsync(HttpContext context, FakeKubeResource resource, string? ns, string name)
    {
        if (_store.Get(resource, ns, name) is { } obj)
        {
            await WriteJsonAsync(context, HttpStatusCode.OK, obj.Json).ConfigureAwait(false);
            return;
        }

        var details = new V1StatusDetails { Name = name, Kind = resource.Plural, Group = resource.Group.Length == 0 ? null : resource.Group };
        await WriteStatusAsync(context, KubeStatus.Failure(HttpStatusCode.NotFound, "NotFound", $"{resource.QualifiedName} \"{name}\" not found", details)).ConfigureAwait(false);
    }

    private async Task ServeListAsync(HttpContext context, FakeKubeResource resource, string? ns)
    {
        var query = context.Request.Query;
        if (!TryFilter(query, resource, ns, out var filter, out var selectorError))
        {
            await BadRequestAsync(context, selectorError).ConfigureAwait(false);
            return;
        }

        long? limit = null;
        if (query["limit"].ToString() is { Length: > 0 } limitText)
        {
            if (!long.TryParse(limitText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l))
            {
                await BadRequestAsync(context, $"strconv.ParseInt: parsing \"{limitText}\": invalid syntax").ConfigureAwait(false);
                return;
            }

            limit = l > 0 ? l : null;
        }

        var rvText = query["resourceVersion"].ToString();
        var match = query["resourceVersionMatch"].ToString();
        var continueToken = query["continue"].ToString();
        var rvError = ParseResourceVersion(rvText, out var requested);
        var invalid = match switch
        {
            not ("" or "Exact" or "NotOlderThan") => $"resourceVersionMatch: Unsupported value: \"{match}\": supported values: \"Exact\", \"NotOlderThan\"",
            not "" when rvText.Length == 0 => "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
            not "" when continueToken.Length > 0 => "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided",
            "Exact" when rvText == "0" => "resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
            _ when continueToken.Length > 0 && rvText.Length > 0 => "resourceVersion: Forbidden: specifying resource version is not allowed when using continue",
            _ => rvError,
        };
        if (invalid is not null)
        {
            await InvalidAsync(context, invalid).ConfigureAwait(false);
            return;
        }

        long? at = null;
        string? startKey = null;
        if (continueToken.Length > 0)
        {
            if (!ContinueToken.TryDecode(continueToken, out var tokenRv, out startKey, out var tokenError))
            {
                await BadRequestAsync(context, tokenError).ConfigureAwait(false);
                return;
            }

            if (tokenRv >= 0)
            {
                at = tokenRv;
                if (tokenRv < _store.OldestValidResourceVersion)
                {
                    var expired = KubeStatus.Failure(HttpStatusCode.Gone, "Expired", ExpiredContinueMessage);
                    expired.Metadata.ContinueProperty = ContinueToken.Encode(-1, startKey[..^1]);
                    await WriteStatusAsync(context, expired).ConfigureAwait(false);
                    return;
                }
            }
        }
        else if (requested is { } rv)
        {
            if (!await WaitForResourceVersionAsync(rv, context.RequestAborted).ConfigureAwait(false))
            {
                await WriteStatusAsync(context, TooLarge(rv)).ConfigureAwait(false);
                return;
            }

            if (match == "Exact")
            {
                at = rv;
                if (rv < _store.OldestValidResourceVersion)
                {
                    await WriteStatusAsync(context, KubeStatus.Failure(HttpStatusCode.Gone, "Expired", "The resourceVersion for the provided list is too old.")).ConfigureAwait(false);
                    return;
                }
            }
        }

        var page = _store.List(resource, filter, at, startKey, limit);
        if (page is null)
        {
            await WriteStatusAsync(context, KubeStatus.Failure(HttpStatusCode.Gone, "Expired", "The resourceVersion for the provided list is too old.")).ConfigureAwait(false);
            return;
        }

        var meta = new V1ListMeta
        {
            ResourceVersion = page.ResourceVersion.ToString(CultureInfo.InvariantCulture),
            ContinueProperty = page.Continue,
            RemainingItemCount = page.RemainingItemCount,
        };
        var json = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $$"""{"kind":"{{resource.ListKind}}","apiVersion":"{{resource.ApiVersion}}","metadata":""")
            .Append(KubernetesJson.Serialize(meta))
            .Append(""","items":[""")
            .AppendJoin(',', page.Items)
            .Append("]}")
            .ToString();
        await WriteJsonAsync(context, HttpStatusCode.OK, json).ConfigureAwait(false);
    }

    private async Task ServeWatchAsync(HttpContext context, FakeKubeResource resource, string? ns)
    {
        var query = context.Request.Query;
        if (!TryFilter(query, resource, ns, out var filter, out var selectorError))
        {
            await BadRequestAsync(context, selectorError).ConfigureAwait(false);
            return;
        }

        if (!TryParseBool(query["allowWatchBookmarks"], out var bookmarks) || !TryParseBool(query["sendInitialEvents"], out var initialEvents))
        {
            await BadRequestAsync(context, "strconv.ParseBool: invalid syntax").ConfigureAwait(false);
            return;
        }

        var timeout = _options.DefaultWatchTimeout;
        if (query["timeoutSeconds"].ToString() is { Length: > 0 } timeoutText)
        {
            if (!long.TryParse(timeoutText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
            {
                await BadRequestAsync(context, $"strconv.ParseInt: parsing \"{timeoutText}\": invalid syntax").ConfigureAwait(false);
                return;
            }

            if (seconds > 0)
            {
                timeout = TimeSpan.FromSeconds(seconds);
            }
        }

        var match = query["resourceVersionMatch"].ToString();
        var rvError = ParseResourceVersion(query["resourceVersion"].ToString(), out var from);
        var invalid = (initialEvents, match) switch
        {
            (true, not "NotOlderThan") => "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            (true, _) when !bookmarks => "allowWatchBookmarks: Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true",
            (false, not "") => "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
            _ => rvError,
        };
        if (invalid is not null)
        {
            await InvalidAsync(context, invalid).ConfigureAwait(false);
            return;
        }

        using var session = _store.OpenWatch(resource, filter, from, bookmarks, initialEvents);
        await StreamAsync(context, session, timeout).ConfigureAwait(false);
    }

    /// <summary>Writes the watch's lines as they come, one flushed chunk each, until the timeout, an ERROR event, or the test ends it.</summary>
    private async Task StreamAsync(HttpContext context, WatchSession session, TimeSpan timeout)
    {
        var response = context.Response;
        response.StatusCode = (int)HttpStatusCode.OK;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-cache, private";
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, session.Stopped, _shutdown);
        ended.CancelAfter(timeout);
        var bookmarks = Task.CompletedTask;
        try
        {
            await response.StartAsync(ended.Token).ConfigureAwait(false);
            await response.Body.FlushAsync(ended.Token).ConfigureAwait(false);
            bookmarks = SendBookmarksAsync(session, timeout, ended.Token);
            await foreach (var line in session.Lines.ReadAllAsync(ended.Token).ConfigureAwait(false))
            {
                await response.Body.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), ended.Token).ConfigureAwait(false);
                await response.Body.FlushAsync(ended.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
            // Timeout, closed or dropped by the test, client gone, or shutdown.
        }
        catch (IOException)
        {
            // The client went away.
        }
        finally
        {
            await ended.CancelAsync().ConfigureAwait(false);
            await bookmarks.ConfigureAwait(false);
            _store.CloseWatch(session);
        }

        if (session.End == WatchSession.Ending.Abort || _shutdown.IsCancellationRequested)
        {
            context.Abort();
        }
    }

    /// <summary>Periodic bookmarks, and one shortly before the deadline, as the watch cache sends them.</summary>
    private async Task SendBookmarksAsync(WatchSession session, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!session.Bookmarks)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var beforeEnd = _options.BookmarkBeforeTimeout is { } b && timeout > b ? timeout - b : (TimeSpan?)null;
        var interval = _options.BookmarkInterval is { } i && i > TimeSpan.Zero ? i : (TimeSpan?)null;
        var periodic = interval;
        try
        {
            while (true)
            {
                var due = (periodic, beforeEnd) switch
                {
                    ({ } p, { } e) => p < e ? p : e,
                    ({ } p, null) => p,
                    (null, { } e) => e,
                    _ => (TimeSpan?)null,
                };
                if (due is not { } d)
                {
                    return;
                }

                var wait = d - Stopwatch.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                }

                _store.Bookmark(session);
                if (beforeEnd == d)
                {
                    beforeEnd = null;
                }

                if (periodic == d)
                {
                    periodic = d + interval!.Value;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The watch ended.
        }
    }

    private async Task<bool> WaitForResourceVersionAsync(long rv, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (_store.ResourceVersion < rv)
        {
            if (Stopwatch.GetElapsedTime(started) > TooLargeWait)
            {
                return false;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private V1Status TooLarge(long rv) => KubeStatus.Failure(
        HttpStatusCode.GatewayTimeout,
        "Timeout",
        $"Too large resource version: {rv}, current: {_store.ResourceVersion}",
        new V1StatusDetails
        {
            Causes = [new V1StatusCause { Reason = "ResourceVersionTooLarge", Message = "Too large resource version" }],
            RetryAfterSeconds = 1,
        });

    private V1Status Forbidden(FakeKubeResource resource, FakeKubeVerb verb, string? ns, string? name)
    {
        var subject = name is null ? resource.QualifiedName : $"{resource.QualifiedName} \"{name}\"";
        var scope = ns is null ? "at the cluster scope" : $"in the namespace \"{ns}\"";
        var verbName = verb.ToString().ToLowerInvariant();
        var message = $"{subject} is forbidden: User \"{_options.User}\" cannot {verbName} resource \"{resource.Plural}\" in API group \"{resource.Group}\" {scope}";
        var details = new V1StatusDetails { Name = name, Group = resource.Group.Length == 0 ? null : resource.Group, Kind = resource.Plural };
        return KubeStatus.Failure(HttpStatusCode.Forbidden, "Forbidden", message, details);
    }

    private static bool TryFilter(IQueryCollection query, FakeKubeResource resource, string? ns, out ObjectFilter filter, out string error)
    {
        filter = ObjectFilter.Everything;
        if (!LabelSelector.TryParse(query["labelSelector"], out var labels, out error)
            || !FieldSelector.TryParse(query["fieldSelector"], resource, out var fields, out error))
        {
            return false;
        }

        filter = new ObjectFilter(ns, labels, fields);
        return true;
    }

    /// <summary>"" and "0" mean "any" (null); anything else must be a revision number, else the 422 message.</summary>
    private static string? ParseResourceVersion(string text, out long? rv)
    {
        rv = null;
        if (text.Length == 0 || text == "0")
        {
            return null;
        }

        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > long.MaxValue)
        {
            return $"resourceVersion: Invalid value: \"{text}\": strconv.ParseUint: parsing \"{text}\": invalid syntax";
        }

        rv = (long)value;
        return null;
    }

    /// <summary>Go's strconv.ParseBool; absent is false.</summary>
    private static bool TryParseBool(StringValues value, out bool result)
    {
        result = false;
        switch (value.ToString())
        {
            case "":
            case "0" or "f" or "F" or "false" or "FALSE" or "False":
                return true;
            case "1" or "t" or "T" or "true" or "TRUE" or "True":
                result = true;
                return true;
            default:
                return false;
        }
    }

    private static Task BadRequestAsync(HttpContext context, string message) =>
        WriteStatusAsync(context, KubeStatus.Failure(HttpStatusCode.BadRequest, "BadRequest", message));

    private static Task InvalidAsync(HttpContext context, string message) =>
        WriteStatusAsync(context, KubeStatus.Failure(HttpStatusCode.UnprocessableEntity, "Invalid", $"ListOptions.meta.k8s.io \"\" is invalid: {message}", new V1StatusDetails { Group = "meta.k8s.io", Kind = "ListOptions" }));

    private static Task WriteStatusAsync(HttpContext context, V1Status status) =>
        WriteJsonAsync(context, (HttpStatusCode)(status.Code ?? 500), KubeStatus.Json(status));

    private static async Task WriteJsonAsync(HttpContext context, HttpStatusCode code, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var response = context.Response;
        response.StatusCode = (int)code;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-cache, private";
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }
}
