using AlsAnalyzer.Core.Identity;
using AlsAnalyzer.Core.Ingest;

namespace AlsAnalyzer.Server.Ingest;

/// <summary>
/// What one ingest service does with each message of a stream; <see cref="IngestStreamLoop"/>
/// does the rest (reading, accounting of streams and messages, errors, logging).
/// </summary>
/// <typeparam name="TRequest">A message as the marshaller hands it over.</typeparam>
/// <typeparam name="TStream">What a stream remembers between messages.</typeparam>
internal interface IIngestHandler<TRequest, TStream>
    where TStream : IdentifiedStream
{
    /// <summary>The status detail sent when a stream's first message has no identifier.</summary>
    string MissingIdentifierDetail { get; }

    TStream OpenStream();

    /// <summary>The message's payload size, before <see cref="Handle"/> consumes it.</summary>
    long PayloadBytes(TRequest request);

    /// <summary>Analyses the message into the stream's state and the handler's own self-metrics; releases the request.</summary>
    MessageResult Handle(TRequest request, TStream stream);
}
