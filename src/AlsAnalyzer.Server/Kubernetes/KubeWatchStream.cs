using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace AlsAnalyzer.Server.Kubernetes;

/// <summary>
/// A list or watch of a built-in resource read straight from the response's bytes: each line is parsed
/// once, as UTF-8, into the client's model trimmed to the fields the cache reads
/// (<see cref="KubeFields"/>). The client's own typed watch reads each line into a string and
/// parses it twice (once for its kind, once whole) into the full model; with a pod's 5 KB of
/// JSON per event that is most of what a watch costs. The request is the one the client would
/// send (its HTTP client, credentials, TLS server name and HTTP version), and the protocol is
/// the same: an ERROR event's Status goes to the error callback as a
/// <see cref="KubernetesException"/> (410 means relist), an event whose object does not read
/// as a <see cref="JsonException"/> (and is skipped), a line that is not a JSON event ends the
/// stream with a <see cref="JsonException"/>, and a failed request throws
/// <see cref="HttpOperationException"/>.
/// </summary>
internal sealed class KubeWatchStream(k8s.Kubernetes client, KubernetesClientConfiguration config)
{
    // A line longer than this (one object's JSON) ends the watch with an error; a pod is ~5 KB.
    private const int MaxLineBytes = 16 * 1024 * 1024;

    /// <summary>
    /// One page of the list of <paramref name="path"/> (e.g. <c>api/v1/pods</c>), its items
    /// trimmed as the watch's are; <paramref name="continueToken"/> null for the first page.
    /// </summary>
    public async Task<HttpOperationResponse<TList>> ListAsync<TList>(string path, string? continueToken, int limit, CancellationToken cancellationToken)
        where TList : class
    {
        var query = $"{path}?limit={limit.ToString(System.Globalization.CultureInfo.InvariantCulture)}" + (continueToken is null ? string.Empty : "&continue=" + Uri.EscapeDataString(continueToken));
        var response = await SendAsync(query, cancellationToken).ConfigureAwait(false);
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var body = await JsonSerializer.DeserializeAsync<TList>(stream, KubeFields.Options, cancellationToken).ConfigureAwait(false)
                    ?? throw new JsonException($"an empty list of {path}");
                return new HttpOperationResponse<TList> { Request = response.RequestMessage!, Response = response, Body = body };
            }
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Watches <paramref name="path"/> (e.g. <c>api/v1/pods</c>) from <paramref name="resourceVersion"/>, with bookmarks.</summary>
    public async IAsyncEnumerable<(WatchEventType Type, TObject Item)> WatchAsync<TObject>(
        string path,
        string resourceVersion,
        int timeoutSeconds,
        Action<Exception> onError,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where TObject : class
    {
        var query = $"{path}?allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(resourceVersion)}&timeoutSeconds={timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}&watch=true";
        using var response = await SendAsync(query, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var lines = new LineBuffer();
            try
            {
                while (true)
                {
                    while (lines.TryNext(out var start, out var length))
                    {
                        if (Parse<TObject>(lines.Bytes.AsSpan(start, length), onError) is { } parsed)
                        {
                            yield return parsed;
                        }
                    }

                    if (!await lines.FillAsync(stream, cancellationToken).ConfigureAwait(false))
                    {
                        // The server ended the watch (its timeout); a last line without a newline still counts.
                        if (lines.TryRest(out var start, out var length) && Parse<TObject>(lines.Bytes.AsSpan(start, length), onError) is { } last)
                        {
                            yield return last;
                        }

                        yield break;
                    }
                }
            }
            finally
            {
                lines.Dispose();
            }
        }
    }

    /// <summary>
    /// One line: its event, or null (a blank line, or an error handed to <paramref name="onError"/>).
    /// Throws <see cref="JsonException"/> for a line that is not a JSON object with a type.
    /// </summary>
    internal static (WatchEventType Type, TObject Item)? Parse<TObject>(ReadOnlySpan<byte> line, Action<Exception> onError)
        where TObject : class
    {
        if (line.Trim((byte)' ').IsEmpty)
        {
            return null;
        }

        // A line that is not a JSON event ends the watch (the caller resumes from the last
        // version it applied, so nothing is lost); one whose object does not read is skipped.
        var type = EventType(line);
        try
        {
            if (type == "ERROR")
            {
                var status = KubernetesJson.Deserialize<Watcher<V1Status>.WatchEvent>(Encoding.UTF8.GetString(line));
                onError(new KubernetesException(status.Object));
                return null;
            }

            WatchEventType kind = type switch
            {
                "ADDED" => WatchEventType.Added,
                "MODIFIED" => WatchEventType.Modified,
                "DELETED" => WatchEventType.Deleted,
                "BOOKMARK" => WatchEventType.Bookmark,
                _ => throw new JsonException($"unknown watch event type '{type}'"),
            };
            var item = JsonSerializer.Deserialize<WatchLine<TObject>>(line, KubeFields.Options)?.Object;
            return item is null ? throw new JsonException("watch event without an object") : (kind, item);
        }
        catch (JsonException ex)
        {
            onError(ex);
            return null;
        }
    }

    /// <summary>The event's top-level <c>type</c> (the API server writes it first, so this reads a few bytes).</summary>
    private static string? EventType(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("a watch event is not a JSON object");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isType = reader.ValueTextEquals("type"u8);
            reader.Read();
            if (isType)
            {
                return reader.TokenType == JsonTokenType.String ? reader.GetString() : throw new JsonException("a watch event's type is not a string");
            }

            reader.Skip();
        }

        throw new JsonException("a watch event without a type");
    }

    private async Task<HttpResponseMessage> SendAsync(string relativeUri, CancellationToken cancellationToken)
    {
        // As the client builds its own requests (Kubernetes.SendRequest and SendRequestRaw).
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(client.BaseUri, relativeUri));
        if (!config.DisableHttp2)
        {
            request.Version = HttpVersion.Version20;
        }

        if (client.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, cancellationToken).ConfigureAwait(false);
        }

        if (!string.IsNullOrWhiteSpace(config.TlsServerName))
        {
            request.Headers.Host = config.TlsServerName;
        }

        var response = await client.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (request)
        using (response)
        {
            var content = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new HttpOperationException($"Operation returned an invalid status code '{response.StatusCode}', response body {content}")
            {
                Request = new HttpRequestMessageWrapper(request, string.Empty),
                Response = new HttpResponseMessageWrapper(response, content),
            };
        }
    }

    private sealed class WatchLine<TObject>
    {
        [System.Text.Json.Serialization.JsonPropertyName("object")]
        public TObject? Object { get; set; }
    }

    /// <summary>Bytes read from the stream and not yet consumed, split at newlines; pooled.</summary>
    private sealed class LineBuffer : IDisposable
    {
        private int _start;
        private int _end;
        private int _scanned;

        public byte[] Bytes { get; private set; } = ArrayPool<byte>.Shared.Rent(64 * 1024);

        /// <summary>The next complete line (without its newline), if one is buffered.</summary>
        public bool TryNext(out int start, out int length)
        {
            var newline = Bytes.AsSpan(_scanned, _end - _scanned).IndexOf((byte)'\n');
            if (newline < 0)
            {
                _scanned = _end;
                (start, length) = (0, 0);
                return false;
            }

            start = _start;
            length = _scanned + newline - _start;
            _start = _scanned = _scanned + newline + 1;
            return true;
        }

        /// <summary>What is left after the stream ended.</summary>
        public bool TryRest(out int start, out int length)
        {
            (start, length) = (_start, _end - _start);
            _start = _scanned = _end;
            return length > 0;
        }

        /// <summary>Reads more; false at the end of the stream.</summary>
        public async ValueTask<bool> FillAsync(Stream stream, CancellationToken cancellationToken)
        {
            if (_start > 0)
            {
                Bytes.AsSpan(_start, _end - _start).CopyTo(Bytes);
                (_end, _scanned, _start) = (_end - _start, _scanned - _start, 0);
            }

            if (_end == Bytes.Length)
            {
                if (Bytes.Length >= MaxLineBytes)
                {
                    throw new InvalidDataException($"a watch event longer than {MaxLineBytes} bytes");
                }

                var larger = ArrayPool<byte>.Shared.Rent(Bytes.Length * 2);
                Bytes.AsSpan(0, _end).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(Bytes);
                Bytes = larger;
            }

            var read = await stream.ReadAsync(Bytes.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            _end += read;
            return read > 0;
        }

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(Bytes);
            Bytes = [];
        }
    }
}
