using System.Net;
using AlsAnalyzer.Core.Kubernetes;
using AlsAnalyzer.Server.Kubernetes;
using AlsAnalyzer.Server.Metrics;
using AlsAnalyzer.Testing;
using AlsAnalyzer.Testing.FakeKube;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace AlsAnalyzer.Server.Tests.Kubernetes;

/// <summary>
/// An optional resource (Istio's ServiceEntry) that the API server does not serve or RBAC does
/// not grant, over several of its retries (each after its pause, which passes at once here):
/// one log line in all, and what a granted list gave is kept when only the watch is refused.
/// </summary>
public sealed class ResourceWatcherTests
{
    private const int Retries = 4;

    [Theory]
    [InlineData(HttpStatusCode.NotFound, "its CustomResourceDefinition is not installed")]
    [InlineData(HttpStatusCode.Forbidden, "forbidden: grant 'list' and 'watch' on serviceentries")]
    public async Task ListRefused_OneLogLineOverEveryRetry_NothingHeld(HttpStatusCode status, string reason)
    {
        var run = new Run(listStatus: status, watchStatus: null);

        await run.UntilListedAsync(Retries);

        var line = Assert.Single(run.Logs.AtLeast(LogLevel.Information));
        Assert.Contains("goes on without serviceentries: " + reason, line, StringComparison.Ordinal);
        Assert.True(run.Watcher.Synced);
        Assert.Empty(run.Held);
    }

    [Fact]
    public async Task OnlyTheWatchForbidden_OneLogLineOverEveryRetry_TheListedEntriesKept()
    {
        var run = new Run(listStatus: null, watchStatus: HttpStatusCode.Forbidden);

        await run.UntilListedAsync(Retries);

        var line = Assert.Single(run.Logs.AtLeast(LogLevel.Information));
        Assert.Contains("keeps the 1 serviceentries it listed but cannot watch them", line, StringComparison.Ordinal);
        Assert.True(run.Watcher.Synced);
        Assert.Equal(["payments/stripe"], run.Held);
    }

    /// <summary>A watcher of ServiceEntries against scripted list and watch answers, stopped after a number of lists.</summary>
    private sealed class Run
    {
        private readonly HttpStatusCode? _listStatus;
        private readonly HttpStatusCode? _watchStatus;
        private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        private readonly Dictionary<string, ServiceEntryRecord> _held = [];
        private int _lists;
        private int _stopAfter;

        public Run(HttpStatusCode? listStatus, HttpStatusCode? watchStatus)
        {
            (_listStatus, _watchStatus) = (listStatus, watchStatus);
            Watcher = new ResourceWatcher<IstioServiceEntry, IstioServiceEntryList, ServiceEntryRecord>(
                IstioServiceEntry.Plural,
                IstioServiceEntry.KindName,
                ListAsync,
                Watch,
                KubeMapper.ServiceEntry,
                Changed,
                new KubeMetrics(new SelfMetrics()),
                Logs.CreateLogger("AlsAnalyzer.Server.Kubernetes.ResourceWatcher"),
                new InstantTime(),
                new KubernetesOptions { KubernetesBackoffInitialMilliseconds = 1, KubernetesBackoffMaxSeconds = 1 },
                optional: true);
        }

        public LogSink Logs { get; } = new();

        public ResourceWatcher<IstioServiceEntry, IstioServiceEntryList, ServiceEntryRecord> Watcher { get; }

        public IReadOnlyList<string> Held => [.. _held.Keys.Order(StringComparer.Ordinal)];

        public async Task UntilListedAsync(int lists)
        {
            _stopAfter = lists;
            _stop.CancelAfter(TimeSpan.FromSeconds(20));
            await Watcher.RunAsync(_stop.Token);
            Assert.True(_lists >= lists, $"listed {_lists} times before the time limit");
        }

        private void Changed(IReadOnlyList<RecordChange<ServiceEntryRecord>> changes, bool relisted)
        {
            foreach (var (before, after) in changes)
            {
                if (after is not null)
                {
                    _held[after.Namespace + "/" + after.Name] = after;
                }
                else if (before is not null)
                {
                    _held.Remove(before.Namespace + "/" + before.Name);
                }
            }
        }

        private Task<HttpOperationResponse<IstioServiceEntryList>> ListAsync(string? continueToken, int limit, CancellationToken cancellationToken)
        {
            if (++_lists > _stopAfter)
            {
                _stop.Cancel();
                cancellationToken.ThrowIfCancellationRequested();
            }

            if (_listStatus is { } status)
            {
                throw Refused(status);
            }

            var list = new IstioServiceEntryList
            {
                Metadata = new V1ListMeta { ResourceVersion = "7" },
                Items = [KubeObjects.ServiceEntry("payments", "stripe", ["api.stripe.com"])],
            };
            return Task.FromResult(new HttpOperationResponse<IstioServiceEntryList> { Body = list });
        }

        private async IAsyncEnumerable<(WatchEventType Type, IstioServiceEntry Item)> Watch(string resourceVersion, int timeoutSeconds, Action<Exception> onError, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            if (_watchStatus is { } status)
            {
                throw Refused(status);
            }

            yield break;
        }

        private static HttpOperationException Refused(HttpStatusCode status)
        {
            var body = $"{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"serviceentries.networking.istio.io is {(status == HttpStatusCode.NotFound ? "not found" : "forbidden")}\",\"code\":{(int)status}}}";
            return new HttpOperationException("refused")
            {
                Response = new HttpResponseMessageWrapper(new HttpResponseMessage(status), body),
            };
        }
    }

    /// <summary>A clock whose every delay has passed at once: the retries' pauses take no time.</summary>
    private sealed class InstantTime : TimeProvider
    {
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            base.CreateTimer(callback, state, dueTime == Timeout.InfiniteTimeSpan ? dueTime : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }
}
