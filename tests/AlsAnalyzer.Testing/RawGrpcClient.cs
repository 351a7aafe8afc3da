using System.Net;
using System.Net.Http.Headers;

namespace AlsAnalyzer.Testing;

/// <summary>
/// gRPC below the client libraries: a request body of hand-made frames (any length prefix,
/// any compressed flag, cut anywhere) over HTTP/2 with prior knowledge, and the status the
/// server answers, from the trailers (or the headers, for a trailers-only answer).
/// </summary>
public sealed class RawGrpcClient(Uri address) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>A gRPC frame: compressed flag, big-endian length (as given, not as the payload's), payload.</summary>
    public static byte[] Frame(byte[] payload, byte flag = 0, uint? length = null)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = flag;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), length ?? (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>Sends <paramref name="body"/> as the whole request body (then END_STREAM) and returns the gRPC status and message.</summary>
    public async Task<(int HttpStatus, string? GrpcStatus, string? GrpcMessage)> SendAsync(
        string path, byte[] body, string? encoding = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (encoding is not null)
        {
            request.Headers.TryAddWithoutValidation("grpc-encoding", encoding);
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        _ = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        string? Header(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var t) ? t.FirstOrDefault()
            : response.Headers.TryGetValues(name, out var h) ? h.FirstOrDefault()
            : null;
        return ((int)response.StatusCode, Header("grpc-status"), Header("grpc-message") is { } m ? Uri.UnescapeDataString(m) : null);
    }

    public void Dispose() => _http.Dispose();
}
