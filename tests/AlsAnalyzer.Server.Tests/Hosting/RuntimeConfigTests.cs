using System.Text.Json;

namespace AlsAnalyzer.Server.Tests.Hosting;

/// <summary>
/// The runtime options the server's build carries into its <c>runtimeconfig.json</c>, which
/// the .NET host hands to the runtime at start (the same file ships in the container image).
/// </summary>
public sealed class RuntimeConfigTests
{
    [Fact]
    public void ServerRuntimeConfig_StopsIdleThreadPoolWorkersFromSpinning()
    {
        // Copied next to the tests from the server's build output (a referenced executable).
        var path = Path.Combine(AppContext.BaseDirectory, "AlsAnalyzer.Server.runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.TryGetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", out var spinLimit), path + " has no UnfairSemaphoreSpinLimit");
        Assert.Equal(0, spinLimit.GetInt32());
    }
}
