using Google.Protobuf;
using Grpc.Core;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>Marshallers for the client-streaming ingest methods: requests are only read, responses only written.</summary>
internal static class IngestMarshallers
{
    public static Marshaller<IngestMessage<T>> Request<T>(MessageParser<T> parser)
        where T : class, IMessage<T> =>
        new(
            static (_, _) => throw new NotSupportedException("The server never sends ingest requests."),
            context =>
            {
                var payload = context.PayloadAsReadOnlySequence();
                try
                {
                    return IngestMessage<T>.Parsed(parser.ParseFrom(payload), payload.Length);
                }
                catch (InvalidProtocolBufferException ex)
                {
                    return IngestMessage<T>.Malformed(ex.Message, payload.Length);
                }
            });

    public static Marshaller<T> Response<T>(MessageParser<T> parser)
        where T : class, IMessage<T> =>
        new(static (response, context) => context.Complete(response.ToByteArray()), context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));
}
