namespace AlsAnalyzer.Server.Metrics;

/// <summary>
/// A component's self-metrics. The host creates every one when it starts, so that each
/// series exists from the first scrape even before the component's first use.
/// </summary>
internal interface ISelfMetricsComponent;
