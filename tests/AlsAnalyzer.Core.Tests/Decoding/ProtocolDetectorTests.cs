using Envoy.Config.Core.V3;
using Envoy.Data.Accesslog.V3;
using HttpVersion = Envoy.Data.Accesslog.V3.HTTPAccessLogEntry.Types.HTTPVersion;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Tests.Decoding;

public sealed class ProtocolDetectorTests
{
    [Theory]
    [InlineData("application/grpc")]
    [InlineData("application/grpc+proto")]
    [InlineData("Application/GRPC+json")]
    public void IsGrpc_GrpcRequestContentType_True(string contentType)
    {
        // Arrange: even over HTTP/1.1 with GET on a plain path, the content type decides.
        var entry = Entry(HttpVersion.Http11, RequestMethod.Get, "/x");
        entry.Request.RequestHeaders["content-type"] = contentType;

        // Act
        var grpc = ProtocolDetector.IsGrpc(entry);

        // Assert
        Assert.True(grpc);
    }

    [Fact]
    public void IsGrpc_GrpcResponseContentType_True()
    {
        // Arrange
        var entry = Entry(HttpVersion.Http11, RequestMethod.Get, "/x");
        entry.Response.ResponseHeaders["content-type"] = "application/grpc";

        // Act
        var grpc = ProtocolDetector.IsGrpc(entry);

        // Assert
        Assert.True(grpc);
    }

    [Fact]
    public void IsGrpc_GrpcStatusTrailer_True()
    {
        // Arrange
        var entry = Entry(HttpVersion.Http11, RequestMethod.Get, "/x");
        entry.Response.ResponseTrailers["grpc-status"] = "0";

        // Act
        var grpc = ProtocolDetector.IsGrpc(entry);

        // Assert
        Assert.True(grpc);
    }

    [Fact]
    public void IsGrpc_GrpcStatusInTrailersOnlyHeaders_True()
    {
        // Arrange
        var entry = Entry(HttpVersion.Http2, RequestMethod.Get, "/x");
        entry.Response.ResponseHeaders["grpc-status"] = "12";

        // Act
        var grpc = ProtocolDetector.IsGrpc(entry);

        // Assert
        Assert.True(grpc);
    }

    [Theory]
    [InlineData("/helloworld.Greeter/SayHello")]
    [InlineData("/grpc.health.v1.Health/Check")]
    [InlineData("/a.B/C")]
    public void IsGrpc_Http2PostToServiceMethodPath_True(string path)
    {
        // Arrange
        var entry = Entry(HttpVersion.Http2, RequestMethod.Post, path);

        // Act
        var grpc = ProtocolDetector.IsGrpc(entry);

        // Assert
        Assert.True(grpc);
    }

    [Theory]
    [InlineData(HttpVersion.Http11, RequestMethod.Post, "/helloworld.Greeter/SayHello")]
    [InlineData(HttpVersion.Http10, RequestMethod.Post, "/helloworld.Greeter/SayHello")]
    [InlineData(HttpVersion.ProtocolUnspecified, RequestMethod.Post, "/helloworld.Greeter/SayHello")]
    [InlineData(HttpVersion.Http2, RequestMethod.Get, "/helloworld.Greeter/SayHello")]
    [InlineData(HttpVersion.Http2, RequestMethod.Post, "/a/b/c")]
    [InlineData(HttpVersion.Http2, RequestMethod.Post, "/a.b/c/d")]
    [InlineData(HttpVersion.Http2, RequestMethod.Post, "/api/orders")]
    [InlineData(HttpVersion.Http2, RequestMethod.Post, "/helloworld.Greeter/SayHello?x=1")]
    [InlineData(HttpVersion.Http2, RequestMethod.Post, "/helloworld.Greeter/")]
    [InlineData(HttpVersion.Http2, RequestMethod.Post, "//SayHello")]
    [InlineData(HttpVersion.Http2, RequestMethod.Post, "/")]
    [InlineData(HttpVersion.Http2, RequestMethod.Post, "")]
    public void IsGrpc_NotAGrpcCall_False(HttpVersion version, RequestMethod method, string path)
    {
        // Arrange
        var entry = Entry(version, method, path);

        // Act
        var grpc = ProtocolDetector.IsGrpc(entry);

        // Assert
        Assert.False(grpc);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("grpcs")]
    [InlineData("https")]
    public void IsGrpc_SchemeOnly_False(string scheme)
    {
        // Arrange
        var entry = Entry(HttpVersion.Http2, RequestMethod.Get, "/index.html");
        entry.Request.Scheme = scheme;
        entry.Request.UserAgent = "grpc-go/1.60.0";

        // Act
        var grpc = ProtocolDetector.IsGrpc(entry);

        // Assert
        Assert.False(grpc);
    }

    [Fact]
    public void IsGrpc_JsonContentTypeOnGrpcLookingHttp1Path_False()
    {
        // Arrange
        var entry = Entry(HttpVersion.Http11, RequestMethod.Post, "/helloworld.Greeter/SayHello");
        entry.Request.RequestHeaders["content-type"] = "application/json";

        // Act
        var grpc = ProtocolDetector.IsGrpc(entry);

        // Assert
        Assert.False(grpc);
    }

    [Fact]
    public void IsGrpc_NoRequestNoResponse_False()
    {
        // Act
        var grpc = ProtocolDetector.IsGrpc(new HTTPAccessLogEntry { ProtocolVersion = HttpVersion.Http2 });

        // Assert
        Assert.False(grpc);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("14", 14)]
    [InlineData("16", 16)]
    public void GrpcStatus_Trailer_Parsed(string value, int expected)
    {
        // Arrange
        var entry = Entry(HttpVersion.Http2, RequestMethod.Post, "/a.B/C");
        entry.Response.ResponseTrailers["grpc-status"] = value;

        // Act
        var status = ProtocolDetector.GrpcStatus(entry);

        // Assert
        Assert.Equal(expected, status);
    }

    [Fact]
    public void GrpcStatus_TrailersOnlyResponse_FromHeaders()
    {
        // Arrange
        var entry = Entry(HttpVersion.Http2, RequestMethod.Post, "/a.B/C");
        entry.Response.ResponseHeaders["grpc-status"] = "7";

        // Act
        var status = ProtocolDetector.GrpcStatus(entry);

        // Assert
        Assert.Equal(7, status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("OK")]
    public void GrpcStatus_AbsentOrNotANumber_Null(string? value)
    {
        // Arrange
        var entry = Entry(HttpVersion.Http2, RequestMethod.Post, "/a.B/C");
        if (value is not null)
        {
            entry.Response.ResponseTrailers["grpc-status"] = value;
        }

        // Act
        var status = ProtocolDetector.GrpcStatus(entry);

        // Assert
        Assert.Null(status);
    }

    [Fact]
    public void GrpcStatus_NoResponse_Null()
    {
        // Act
        var status = ProtocolDetector.GrpcStatus(new HTTPAccessLogEntry());

        // Assert
        Assert.Null(status);
    }

    private static HTTPAccessLogEntry Entry(HttpVersion version, RequestMethod method, string path) => new()
    {
        ProtocolVersion = version,
        Request = new HTTPRequestProperties { RequestMethod = method, Path = path, Scheme = "http", Authority = "greeter:50051" },
        Response = new HTTPResponseProperties { ResponseCode = 200 },
    };
}
