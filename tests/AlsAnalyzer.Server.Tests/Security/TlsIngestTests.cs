using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;
using Envoy.Service.Accesslog.V3;
using Grpc.Core;

namespace AlsAnalyzer.Server.Tests.Security;

/// <summary>The ingest port with TLS and client certificates: real handshakes, certificates made by openssl.</summary>
public sealed class TlsIngestTests : IAsyncLifetime
{
    private TestCertificates _certificates = null!;

    public async ValueTask InitializeAsync() =>
        _certificates = await TestCertificates.CreateAsync(TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync()
    {
        _certificates.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Ingest_MutualTls_AcceptsTheCaSignedClientAndCountsEveryRefusal()
    {
        await using var server = await StartAsync();

        using (var trusted = new AlsClient(server.GrpcAddress, _certificates.Handler("client")))
        {
            await Send(trusted, 3);
        }

        using (var plaintext = new AlsClient(new Uri(server.GrpcAddress.ToString().Replace("https", "http", StringComparison.Ordinal))))
        {
            await AssertRefusedAsync(() => Send(plaintext, 1));
        }

        using (var anonymous = new AlsClient(server.GrpcAddress, _certificates.Handler()))
        {
            await AssertRefusedAsync(() => Send(anonymous, 1));
        }

        using (var foreign = new AlsClient(server.GrpcAddress, _certificates.Handler("foreign-client")))
        {
            await AssertRefusedAsync(() => Send(foreign, 1));
        }

        var metrics = await WaitForAsync(server, m =>
            m.GetValueOrDefault("als_connections_rejected_total{reason=\"not_tls\"}") >= 1
            && m.GetValueOrDefault("als_connections_rejected_total{reason=\"client_cert_missing\"}") >= 1
            && m.GetValueOrDefault("als_connections_rejected_total{reason=\"client_cert_untrusted\"}") >= 1);
        Assert.Equal(1, metrics["als_connections_rejected_total{reason=\"not_tls\"}"]);
        Assert.True(metrics["als_connections_rejected_total{reason=\"client_cert_missing\"}"] >= 1);
        Assert.True(metrics["als_connections_rejected_total{reason=\"client_cert_untrusted\"}"] >= 1);
        Assert.Equal(3, metrics["als_entries_received_total"]);
        Assert.Equal(0, metrics["als_connections_rejected_total{reason=\"tls_handshake_failed\"}"]);
    }

    [Fact]
    public async Task Ingest_ServerCertificateRotatedOnDisk_OpenStreamGoesOnAndNewConnectionsGetTheNewCertificate()
    {
        await using var server = await StartAsync("SecretsReloadIntervalSeconds=1");
        var ct = TestContext.Current.CancellationToken;
        string? first = null;
        using var open = new AlsClient(server.GrpcAddress, _certificates.Handler("client", t => first ??= t));
        using var call = open.Invoker.AsyncClientStreamingCall(AlsClient.Method(), null, new CallOptions(cancellationToken: ct));
        await call.RequestStream.WriteAsync(Message(2, identify: true), ct);
        Assert.Equal(TestCertificates.Thumbprint(_certificates.ServerCertificatePath), first);
        var original = first;

        _certificates.RotateServerCertificate();
        var rotated = TestCertificates.Thumbprint(Path.Combine(_certificates.Directory, "server2.crt"));
        string? seen = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (seen != rotated && DateTime.UtcNow < deadline)
        {
            await Task.Delay(300, ct);
            using var probe = new AlsClient(server.GrpcAddress, _certificates.Handler("client", t => seen = t));
            await Send(probe, 1);
        }

        Assert.Equal(rotated, seen);
        Assert.NotEqual(original, rotated);
        await call.RequestStream.WriteAsync(Message(2, identify: false), ct);
        await call.RequestStream.CompleteAsync();
        await call.ResponseAsync.WaitAsync(TimeSpan.FromSeconds(30), ct);
        var metrics = await server.ScrapeAsync();
        Assert.True(metrics["als_secrets_reloads_total{result=\"reloaded\"}"] >= 1);
        Assert.True(metrics["als_entries_received_total"] >= 5);
    }

    /// <summary>
    /// The call fails: as a gRPC status, or, when the reset reaches the client while it still
    /// writes the request, as the write's IOException (which one depends on timing).
    /// </summary>
    private static async Task AssertRefusedAsync(Func<Task> send)
    {
        var error = await Record.ExceptionAsync(send);
        Assert.True(error is RpcException or IOException, $"expected the call to be refused, got {error?.ToString() ?? "success"}");
    }

    private async Task<AlsTestServer> StartAsync(params string[] extra) =>
        await AlsTestServer.StartWithHandlerAsync(_certificates.Handler(), [.. _certificates.Settings(requireClientCertificates: true), .. extra]);

    private static async Task<IReadOnlyDictionary<string, double>> WaitForAsync(AlsTestServer server, Func<IReadOnlyDictionary<string, double>, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var metrics = await server.ScrapeAsync();
            if (done(metrics) || DateTime.UtcNow > deadline)
            {
                return metrics;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    private static Task<StreamAccessLogsResponse> Send(AlsClient client, int entries) =>
        client.SendAsync([Message(entries, identify: true)], cancellationToken: TestContext.Current.CancellationToken);

    private static StreamAccessLogsMessage Message(int entries, bool identify)
    {
        var call = new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details, Path = "/details/1", Start = DateTimeOffset.UtcNow.AddSeconds(-5) };
        return Calls.HttpMessage(Enumerable.Range(0, entries).Select(_ => Calls.Outbound(call)).ToList(), identify ? Nodes.Sidecar(Mesh.Productpage) : null);
    }
}
