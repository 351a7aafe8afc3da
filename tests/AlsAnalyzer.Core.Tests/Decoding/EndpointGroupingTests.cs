using System.Text;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Tests.Decoding;

public sealed class EndpointGroupingTests
{
    [Theory]
    [InlineData("/users/12345", "/users/{id}")]
    [InlineData("/users/0/orders/42", "/users/{id}/orders/{id}")]
    [InlineData("/2024/12/05", "/{id}/{id}/{id}")]
    [InlineData("/u/123e4567-e89b-12d3-a456-426614174000", "/u/{id}")]
    [InlineData("/u/123E4567-E89B-12D3-A456-426614174000/profile", "/u/{id}/profile")]
    [InlineData("/commits/9fceb02", "/commits/9fceb02")]
    [InlineData("/commits/9fceb02d", "/commits/{id}")]
    [InlineData("/objects/507f1f77bcf86cd799439011", "/objects/{id}")]
    [InlineData("/blobs/e3b0c44298fc1c149afbf4c8996fb924", "/blobs/{redacted}")]
    [InlineData("/t/dGhpcyBpcyBhIHRlc3Q5", "/t/{id}")]
    [InlineData("/t/aB3_xY9-kL2mN8pQ", "/t/{id}")]
    [InlineData("/promo/summer-sale-2024-banner", "/promo/summer-sale-2024-banner")]
    [InlineData("/api/v1/items", "/api/v1/items")]
    [InlineData("/api/v2/deadbeef", "/api/v2/deadbeef")]
    [InlineData("/mesh.Svc/Call", "/mesh.Svc/Call")]
    [InlineData("/", "/")]
    [InlineData("", "")]
    [InlineData("/a//b/", "/a//b/")]
    [InlineData("/cart;jsessionid=ABC123/items/7;v=1", "/cart/items/{id}")]
    [InlineData("/é/ü", "/é/ü")]
    [InlineData("/version1234", "/version1234")]
    public void Group_DefaultRules_ReplaceIdSegments(string path, string expected)
    {
        Assert.Equal(expected, EndpointGrouping.Default.Group(path));
    }

    [Theory]
    [InlineData("0", true)]
    [InlineData("18446744073709551616000", true)]
    [InlineData("abc", false)]
    [InlineData("v1", false)]
    [InlineData("12ab", false)]
    [InlineData("12abcdef", true)]
    [InlineData("abcdefab", false)]
    [InlineData("ABCDEF12", true)]
    [InlineData("lowercase-slug-2024", false)]
    [InlineData("lowercaseslug2024x", true)]
    [InlineData("Mixed-Case-Slug-2024", true)]
    [InlineData("with.dot.12345678901234", false)]
    [InlineData("", false)]
    public void IsId_Segment_FollowsTheDocumentedRules(string segment, bool expected)
    {
        Assert.Equal(expected, EndpointGrouping.IsId(Encoding.UTF8.GetBytes(segment)));
    }

    [Fact]
    public void Group_GroupingOff_KeepsIdsButStillRedacts()
    {
        var off = new EndpointGrouping(groupIds: false, [], 256);

        Assert.Equal("/users/12345", off.Group("/users/12345"));
        Assert.Equal("/cart/items", off.Group("/cart;jsessionid=1/items"));
        Assert.Equal("/k/{redacted}", off.Group("/k/AKIAIOSFODNN7EXAMPLE0123456789abcd"));
    }

    [Fact]
    public void Group_Template_WinsAndIsWrittenAsGiven()
    {
        var grouping = new EndpointGrouping(groupIds: true, ["/api/v1/orders/{orderId}/items", "/files/{name}", "/files/{name}/raw"], 256);

        Assert.Equal("/api/v1/orders/{orderId}/items", grouping.Group("/api/v1/orders/A-77/items"));
        Assert.Equal("/api/v1/orders/{orderId}/items", grouping.Group("/api/v1/orders/9;x=1/items"));
        Assert.Equal("/files/{name}", grouping.Group("/files/report.pdf"));
        Assert.Equal("/files/{name}/raw", grouping.Group("/files/report.pdf/raw"));

        // No template matches: default rules.
        Assert.Equal("/api/v1/orders/{id}", grouping.Group("/api/v1/orders/9"));
        Assert.Equal("/api/v1/orders/{id}/lines", grouping.Group("/api/v1/orders/9/lines"));
        Assert.Equal("/files", grouping.Group("/files"));
        Assert.Equal("/files//raw", grouping.Group("/files//raw"));
    }

    [Fact]
    public void Group_TemplatesInOrder_FirstMatchWins()
    {
        var grouping = new EndpointGrouping(groupIds: true, ["/a/{x}", "/a/b"], 256);

        Assert.Equal("/a/{x}", grouping.Group("/a/b"));
    }

    [Fact]
    public void Group_LongerThanTheLimit_KeepsWholeLeadingSegmentsAndSaysTruncated()
    {
        var grouping = new EndpointGrouping(groupIds: true, [], 32);
        var path = "/aaaa/bbbb/cccc/dddd/eeee/ffff/gggg";
        var output = new byte[32];

        var n = grouping.Group(Encoding.ASCII.GetBytes(path), output, out var truncated);

        Assert.True(truncated);
        Assert.Equal("/aaaa/bbbb/cccc/dddd/{truncated}", Encoding.ASCII.GetString(output, 0, n));
        Assert.Equal("/{truncated}", grouping.Group("/" + new string('x', 40)));
        Assert.Equal("/aaaa/bbbb/cccc/dddd/eeee/ffff", grouping.Group("/aaaa/bbbb/cccc/dddd/eeee/ffff"));
    }

    [Theory]
    [InlineData("api/x", "must start with '/'")]
    [InlineData("/a?b", "must not hold")]
    [InlineData("/a;b", "must not hold")]
    [InlineData("/a//b", "empty segment")]
    [InlineData("/a/{id", "placeholder must be a whole segment")]
    [InlineData("/a/x{id}", "placeholder must be a whole segment")]
    [InlineData("/a/{}", "placeholder must be a whole segment")]
    public void Validate_BadTemplate_IsAClearError(string template, string problem)
    {
        var errors = new SettingErrors();

        new DecodingOptions { EndpointTemplates = "/ok/{id}, " + template }.Validate(errors);

        var error = Assert.Single(errors.All);
        Assert.StartsWith("Als:EndpointTemplates: template '", error, StringComparison.Ordinal);
        Assert.Contains(problem, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DuplicateOrTooLongTemplates_AreErrors()
    {
        var errors = new SettingErrors();

        new DecodingOptions { EndpointTemplates = "/a/{x},/a/{x},/" + new string('l', 40), MaxEndpointLength = 32 }.Validate(errors);

        Assert.Equal(2, errors.All.Count);
        Assert.Contains(errors.All, e => e.Contains("listed more than once", StringComparison.Ordinal));
        Assert.Contains(errors.All, e => e.Contains("longer than Als:MaxEndpointLength", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_DefaultsAndGoodTemplates_HaveNoErrors()
    {
        var errors = new SettingErrors();

        new DecodingOptions().Validate(errors);
        new DecodingOptions { EndpointTemplates = " /api/v1/orders/{orderId}/items , /files/{name},/" }.Validate(errors);

        Assert.Empty(errors.All);
        Assert.Equal(3, new DecodingOptions { EndpointTemplates = " /api/v1/orders/{orderId}/items , /files/{name},/" }.Grouping().TemplateCount);
    }

    [Fact]
    public void TableBytes_Shares_AddUpToTheBudget()
    {
        var options = new DecodingOptions { DecodeTableMegabytes = 100 };
        string[] tables = [DecodeTableNames.Strings, DecodeTableNames.Endpoints, DecodeTableNames.EndpointPaths, DecodeTableNames.Clusters, DecodeTableNames.Peers, DecodeTableNames.IpNames, DecodeTableNames.CertificateCallers];

        Assert.Equal(100L * 1024 * 1024, tables.Sum(options.TableBytes));
    }
}
