using AlsAnalyzer.Server.Metrics;

namespace AlsAnalyzer.Server.Api;

/// <summary>Self-metrics of the API's query scheduler.</summary>
internal sealed class ApiMetrics : ISelfMetricsComponent
{
    public ApiMetrics(SelfMetrics metrics, QueryScheduler scheduler)
    {
        var f = metrics.Factory;
        var running = f.CreateGauge("als_api_queries_running", "API queries running on the query threads.");
        var queued = f.CreateGauge("als_api_queries_queued", "API queries waiting for a query thread.");
        var completed = f.CreateCounter("als_api_queries_total", "API queries run on the query threads.");
        var rejected = f.CreateCounter("als_api_queries_rejected_total", "API queries answered 503 because too many were running or waiting.");
        metrics.BeforeCollect(() =>
        {
            running.Set(scheduler.Running);
            queued.Set(scheduler.Queued);
            completed.IncTo(scheduler.Completed);
            rejected.IncTo(scheduler.Rejected);
        });
    }
}
