using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Security;

/// <summary>
/// Polls the certificate, key, CA and token files. Polling rather than a FileSystemWatcher:
/// a Kubernetes Secret volume swaps a <c>..data</c> symlink, which inotify on the files
/// themselves does not report.
/// </summary>
internal sealed class SecretsReloader(CertificateStore store, IOptions<SecurityOptions> options, TimeProvider time) : IHostedService, IDisposable
{
    private ITimer? _timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.TlsEnabled || o.ApiTokenPath.Length > 0)
        {
            var interval = TimeSpan.FromSeconds(o.SecretsReloadIntervalSeconds);
            _timer = time.CreateTimer(static s => ((CertificateStore)s!).Reload(), store, interval, interval);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _timer?.Dispose();
}
