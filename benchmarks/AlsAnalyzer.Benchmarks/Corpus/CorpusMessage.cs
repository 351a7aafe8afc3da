namespace AlsAnalyzer.Benchmarks.Corpus;

/// <summary>One serialized <c>StreamAccessLogsMessage</c> and the HTTP entries in it.</summary>
internal sealed record CorpusMessage(byte[] Payload, int Entries, bool HasIdentifier);
