using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace AlsAnalyzer.Server.Api;

/// <summary>
/// The topology page at <c>/</c>: a static HTML page, its script and its style sheet, embedded
/// in this assembly (so <c>dotnet run</c> and the published output serve the same bytes). It
/// loads nothing from another origin: the Content-Security-Policy allows only this origin.
/// The page links its assets with a content hash (<c>?v=</c>), so they are cached for a year and
/// a new build's page fetches the new ones; the page itself is revalidated (ETag) every time.
/// </summary>
internal static class PageEndpoints
{
    /// <summary>Same origin only, no inline script or style, no framing, no form posts elsewhere.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Lazy<PageAssets> Assets = new(PageAssets.Load);

    public static void MapAlsPage(this WebApplication app)
    {
        app.MapGet("/", (HttpContext http) => Serve(http, Assets.Value.Index, immutable: false));
        app.MapGet("/ui/{file}", (HttpContext http, string file, string? v) =>
            Assets.Value.Files.TryGetValue(file, out var asset)
                ? Serve(http, asset, immutable: v == asset.Version)
                : Results.NotFound());
    }

    private static IResult Serve(HttpContext http, Asset asset, bool immutable)
    {
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = immutable ? "public, max-age=31536000, immutable" : "no-cache";
        headers.ETag = asset.ETag;
        if (http.Request.Headers.IfNoneMatch.ToString() == asset.ETag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Content, asset.ContentType);
    }

    internal sealed record Asset(byte[] Content, string ContentType, string Version)
    {
        public string ETag => "\"" + Version + "\"";
    }

    internal sealed record PageAssets(Asset Index, IReadOnlyDictionary<string, Asset> Files)
    {
        public static PageAssets Load()
        {
            var files = new Dictionary<string, Asset>(StringComparer.Ordinal)
            {
                ["app.js"] = Read("app.js", "text/javascript; charset=utf-8"),
                ["app.css"] = Read("app.css", "text/css; charset=utf-8"),
            };
            var html = Encoding.UTF8.GetString(Read("index.html", "text/html").Content);
            foreach (var (name, asset) in files)
            {
                html = html.Replace("\"ui/" + name + "\"", "\"ui/" + name + "?v=" + asset.Version + "\"", StringComparison.Ordinal);
            }

            var index = Encoding.UTF8.GetBytes(html);
            return new PageAssets(new Asset(index, "text/html; charset=utf-8", Version(index)), files);
        }

        private static Asset Read(string name, string contentType)
        {
            using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("page/" + name)
                ?? throw new InvalidOperationException($"The page's resource {name} is not embedded in the assembly.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            return new Asset(bytes, contentType, Version(bytes));
        }

        private static string Version(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content))[..16];
    }
}
