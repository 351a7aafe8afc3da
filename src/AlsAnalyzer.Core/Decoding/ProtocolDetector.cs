using Envoy.Data.Accesslog.V3;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// gRPC is recognised by its content type or trailers, or by an HTTP/2 POST to
/// <c>/package.Service/Method</c>; never by the scheme (real gRPC requests use <c>http</c>).
/// </summary>
internal static class ProtocolDetector
{
    public static bool IsGrpc(HTTPAccessLogEntry entry)
    {
        var request = entry.Request;
        if (request is not null && request.RequestHeaders.TryGetValue("content-type", out var ct) && IsGrpcContentType(ct))
        {
            return true;
        }

        var response = entry.Response;
        if (response is not null)
        {
            if ((response.ResponseHeaders.TryGetValue("content-type", out var rct) && IsGrpcContentType(rct))
                || response.ResponseTrailers.ContainsKey("grpc-status")
                || response.ResponseHeaders.ContainsKey("grpc-status"))
            {
                return true;
            }
        }

        return request is not null
            && entry.ProtocolVersion == HTTPAccessLogEntry.Types.HTTPVersion.Http2
            && request.RequestMethod == Envoy.Config.Core.V3.RequestMethod.Post
            && LooksLikeGrpcPath(request.Path);
    }

    /// <summary>The gRPC status from trailers (or trailers-only headers); null when absent.</summary>
    public static int? GrpcStatus(HTTPAccessLogEntry entry)
    {
        var response = entry.Response;
        if (response is null)
        {
            return null;
        }

        if ((response.ResponseTrailers.TryGetValue("grpc-status", out var s) || response.ResponseHeaders.TryGetValue("grpc-status", out s))
            && int.TryParse(s, out var code))
        {
            return code;
        }

        return null;
    }

    /// <summary><c>/pkg.Service/Method</c>: two non-empty segments, a dotted service, no query.</summary>
    public static bool LooksLikeGrpcPath(string path)
    {
        if (path.Length < 4 || path[0] != '/' || path.Contains('?', StringComparison.Ordinal))
        {
            return false;
        }

        var slash = path.IndexOf('/', 1);
        return slash > 1
            && slash < path.Length - 1
            && path.IndexOf('/', slash + 1) < 0
            && path.AsSpan(1, slash - 1).Contains('.');
    }

    private static bool IsGrpcContentType(string contentType) =>
        contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase);
}
