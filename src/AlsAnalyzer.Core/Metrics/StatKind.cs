namespace AlsAnalyzer.Core.Metrics;

internal enum StatKind : byte
{
    Counter,
    Gauge,

    /// <summary>Envoy's histograms, sent as a summary and/or a histogram of the flush interval.</summary>
    Distribution,
}
