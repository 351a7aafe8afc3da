using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Tests.Decoding;

public sealed class PathRedactionTests
{
    // Redaction alone: default grouping off, no templates.
    private static readonly EndpointGrouping RedactionOnly = new(groupIds: false, [], 4096);

    [Theory]
    [InlineData("/", "/")]
    [InlineData("/reviews/0", "/reviews/0")]
    [InlineData("/cart;jsessionid=ABC123/items", "/cart/items")]
    [InlineData("/a;b", "/a")]
    [InlineData("/auth/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln/me", "/auth/{redacted}/me")]
    [InlineData("/keys/AKIAIOSFODNN7EXAMPLE0123456789abcd", "/keys/{redacted}")]
    [InlineData("/files/0123456789abcdef0123456789abcdef", "/files/{redacted}")]
    [InlineData("/docs/a-very-long-but-plain-readable-segment-name", "/docs/a-very-long-but-plain-readable-segment-name")]
    [InlineData("/v1/0123456789012345678901234567890123", "/v1/0123456789012345678901234567890123")]
    [InlineData("/u/123e4567-e89b-12d3-a456-426614174000", "/u/{redacted}")]
    public void Group_WithoutIdGrouping_DropsMatrixParametersAndSecretSegments(string path, string expected)
    {
        Assert.Equal(expected, RedactionOnly.Group(path));
    }

    [Theory]
    [InlineData("admin:SECRET@db.example.com:5432", "db.example.com")]
    [InlineData("user@[fd00::2]:80", "[fd00::2]")]
    [InlineData("a@b@host", "host")]
    [InlineData("reviews:9080", "reviews")]
    public void HostOf_AuthorityWithUserInfo_KeepsOnlyTheHost(string authority, string expected)
    {
        Assert.Equal(expected, EntryFields.HostOf(authority));
    }
}
