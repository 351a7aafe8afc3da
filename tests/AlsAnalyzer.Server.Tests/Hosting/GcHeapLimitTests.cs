using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Server.Hosting;
using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Server.Tests.Hosting;

/// <summary>The GC heap's hard limit follows the memory budget: chosen from the settings, never above the runtime's own, applied by the server process and shown on /metrics.</summary>
public sealed class GcHeapLimitTests
{
    private const long MiB = 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(640, 0, 704)] // the default: budget + 64 MiB of working memory
    [InlineData(100, 0, 164)]
    [InlineData(640, 512, 512)] // set explicitly
    [InlineData(640, -1, null)] // the runtime's limit left alone
    public void Options_GcHeapLimitBytes_FromTheBudgetOrTheSetting(int budget, int setting, int? expectedMegabytes)
    {
        var options = new MemoryOptions { MemoryBudgetMegabytes = budget, GcHeapLimitMegabytes = setting };

        Assert.Equal(expectedMegabytes * MiB, options.GcHeapLimitBytes);
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(63)]
    [InlineData(4_194_305)]
    public void Options_GcHeapLimitOutOfRange_IsAnError(int setting)
    {
        var errors = new SettingErrors();

        new MemoryOptions { GcHeapLimitMegabytes = setting }.Validate(errors);

        Assert.Contains("Als:GcHeapLimitMegabytes is " + setting, Assert.Single(errors.All), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(704, 0, 704)] // no limit yet (no container): the budget's
    [InlineData(704, 768, 704)] // a 1 GiB container's 768 MiB: lowered to the budget's
    [InlineData(704, 512, null)] // the runtime already holds the heap lower: kept
    [InlineData(null, 768, null)] // -1: the runtime's kept
    public void Choose_NeverRaisesTheRuntimesLimit(int? askedMegabytes, int currentMegabytes, int? expectedMegabytes)
    {
        Assert.Equal(expectedMegabytes * MiB, GcHeapLimit.Choose(askedMegabytes * MiB, currentMegabytes * MiB));
    }

    [Fact]
    public async Task ServerProcess_HeapLimitFromTheBudget_AppliedLoggedAndExported()
    {
        var work = Directory.CreateTempSubdirectory("als-gc-");
        try
        {
            await using var server = await AlsServerProcess.StartAsync(work.FullName, new Dictionary<string, string> { ["MemoryBudgetMegabytes"] = "100" }, Ct);

            var metrics = PrometheusText.Parse(await server.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative), Ct));

            Assert.Equal(164 * MiB, metrics.Get("als_gc_heap_limit_bytes"));
            Assert.Contains("GC heap limited to 164 MiB", server.Log, StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
