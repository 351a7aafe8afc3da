using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using Microsoft.Extensions.DependencyInjection;
using static AlsAnalyzer.Server.Tests.Support.MeshScenario;

namespace AlsAnalyzer.Server.Tests.QueryStore;

/// <summary>Two replicas remote-writing the same label sets to one real VictoriaMetrics keep two series apart, by their <c>replica</c> label.</summary>
public sealed class ReplicaLabelTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TwoReplicas_SameMesh_KeepTwoSeriesEach_SummedWithoutReplica()
    {
        await using var victoria = await MetricsBackend.StartVictoriaMetricsAsync();
        await using var a = await AlsTestServer.StartAsync($"RemoteWriteUrl={victoria.RemoteWriteUrl}", "RemoteWriteIntervalSeconds=1", "ReplicaName=als-a", "CollectIntervalMilliseconds=200");
        await using var b = await AlsTestServer.StartAsync($"RemoteWriteUrl={victoria.RemoteWriteUrl}", "RemoteWriteIntervalSeconds=1", "ReplicaName=als-b", "CollectIntervalMilliseconds=200");
        foreach (var server in new[] { a, b })
        {
            using var client = new AlsClient(server.GrpcAddress);
            await Build(DateTimeOffset.UtcNow.AddSeconds(-30)).SendAsync(client);
        }

        const string ratings = "istio_requests_total{reporter=\"destination\",destination_canonical_service=\"ratings\"}";
        await victoria.WaitForAsync($"sum({ratings})", 2 * RatingsCalls, Patience);

        var perReplica = (await victoria.QueryAsync($"sum by (replica) ({ratings})")).ToDictionary(r => r.Labels["replica"], r => r.Value);
        Assert.Equal(new Dictionary<string, double> { ["als-a"] = RatingsCalls, ["als-b"] = RatingsCalls }, perReplica);

        // Same Istio labels, one series per replica: neither overwrote the other.
        var series = await victoria.QueryAsync(ratings);
        Assert.Equal(2 * series.Count(s => s.Labels["replica"] == "als-a"), series.Count);
        Assert.All(series.GroupBy(s => string.Join(',', s.Labels.Where(l => l.Key != "replica").OrderBy(l => l.Key, StringComparer.Ordinal))), g => Assert.Equal(2, g.Count()));
    }

    [Fact]
    public async Task ReplicaName_DefaultsToPodName_ElseHostName()
    {
        await using var server = await AlsTestServer.StartAsync();
        var options = server.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AlsAnalyzer.Server.IstioMetrics.RemoteWriteOptions>>().Value;
        var pod = Environment.GetEnvironmentVariable("POD_NAME");
        Assert.Equal(string.IsNullOrEmpty(pod) ? Environment.MachineName : pod, options.EffectiveReplicaName);
    }
}
