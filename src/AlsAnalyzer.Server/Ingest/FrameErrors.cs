using Grpc.Core;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// What grpc-dotnet's reader throws for a request body that is not a sequence of well-formed
/// gRPC frames, as a reason of <c>als_messages_rejected_total</c> and the status the stream
/// ends with. grpc-dotnet answers some of these itself with a clear status (a compressed frame
/// without or with an unknown <c>grpc-encoding</c>: INTERNAL and UNIMPLEMENTED as the gRPC
/// spec says; a body cut inside a frame: INTERNAL "Incomplete message."), and the rest, which
/// would be UNKNOWN ("Exception was thrown by handler."), get one here: a length prefix of
/// 2^31 or more is RESOURCE_EXHAUSTED like any message over the limit, a compressed flag other
/// than 0 or 1 and a payload that does not decompress are INVALID_ARGUMENT. The cases are told
/// apart by exception type and, where grpc-dotnet uses one type for several, by its message;
/// FrameTests pin each case, so a grpc-dotnet change that moves one fails there.
/// </summary>
internal static class FrameErrors
{
    /// <summary>The frame error in <paramref name="ex"/>, or null if it is not one (the client went away, or our own status).</summary>
    public static (string Reason, Status Status)? Classify(Exception ex, ServerCallContext context, int maxMessageBytes) => ex switch
    {
        IOException io when io.Message.StartsWith("Message too large", StringComparison.Ordinal) =>
            (MessageRejectReasons.Oversized, new Status(
                StatusCode.ResourceExhausted,
                $"The message's length prefix is 2^31 bytes or more; messages are limited to {maxMessageBytes} bytes (Als:MaxReceiveMessageBytes).")),
        InvalidDataException data when data.Message.Contains("compressed flag", StringComparison.OrdinalIgnoreCase) =>
            (MessageRejectReasons.BadFrame, new Status(StatusCode.InvalidArgument, "A message's compressed flag is neither 0 nor 1: the request body is not a sequence of gRPC frames.")),
        InvalidDataException when Encoding(context) is { } encoding =>
            (MessageRejectReasons.Compression, new Status(StatusCode.InvalidArgument, $"A compressed message does not decompress as '{encoding}' (grpc-encoding).")),
        InvalidDataException =>
            (MessageRejectReasons.BadFrame, new Status(StatusCode.InvalidArgument, "The request body is not a sequence of gRPC frames.")),
        RpcException { StatusCode: StatusCode.Internal } rpc when rpc.Status.Detail.StartsWith("Incomplete message", StringComparison.Ordinal) =>
            (MessageRejectReasons.Truncated, new Status(StatusCode.Internal, "Incomplete message: the stream ended inside a gRPC frame (its length prefix announced more bytes than were sent).")),
        RpcException { StatusCode: StatusCode.Internal or StatusCode.Unimplemented } rpc =>
            (MessageRejectReasons.Compression, rpc.Status),
        _ => null,
    };

    // grpc-dotnet keeps grpc-* headers out of RequestHeaders: read it from the HTTP request.
    private static string? Encoding(ServerCallContext context) =>
        context.GetHttpContext().Request.Headers["grpc-encoding"].ToString() is { Length: > 0 } e && e != "identity" ? e : null;
}
