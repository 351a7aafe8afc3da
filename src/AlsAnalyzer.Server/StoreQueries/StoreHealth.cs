namespace AlsAnalyzer.Server.StoreQueries;

/// <summary>Whether the store answers a trivial query, probed at most every <see cref="CacheFor"/> (for <c>/readyz</c>).</summary>
internal sealed class StoreHealth(PrometheusClient client, TimeProvider time) : IDisposable
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _probe = new(1, 1);
    private (DateTimeOffset At, string? Problem) _last = (DateTimeOffset.MinValue, null);

    /// <summary>Null when the store answered; else why not.</summary>
    public async Task<string?> ProblemAsync(CancellationToken cancellationToken)
    {
        await _probe.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            if (now - _last.At < CacheFor)
            {
                return _last.Problem;
            }

            string? problem = null;
            try
            {
                await client.QueryAsync("vector(1)", now, cancellationToken).ConfigureAwait(false);
            }
            catch (StoreUnavailableException ex)
            {
                problem = ex.Message;
            }

            _last = (time.GetUtcNow(), problem);
            return problem;
        }
        finally
        {
            _probe.Release();
        }
    }

    public void Dispose() => _probe.Dispose();
}
