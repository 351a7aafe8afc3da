using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Interop.Tests;

/// <summary>
/// The Node.js client (@grpc/grpc-js, official Envoy protos) against the ingest port with TLS and
/// client certificates made by openssl: its CA-signed certificate is accepted, a foreign one is
/// refused and counted.
/// </summary>
public sealed class NodeClientTlsInteropTests(NodeClient node) : IAsyncLifetime
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromMinutes(2);
    private TestCertificates _certificates = null!;

    public async ValueTask InitializeAsync() =>
        _certificates = await TestCertificates.CreateAsync(TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync()
    {
        _certificates.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task NodeGrpcJsClient_MutualTls_StreamsTheMeshAndAForeignCertificateIsRefused()
    {
        // Arrange
        await using var server = await AlsTestServer.StartWithHandlerAsync(_certificates.Handler(), _certificates.Settings(requireClientCertificates: true));
        var ct = TestContext.Current.CancellationToken;
        string Pem(string name) => Path.Combine(_certificates.Directory, name);

        // Act
        var trusted = await node.RunTlsAsync(server.GrpcAddress, _certificates.CaPath, Pem("client.crt"), Pem("client.key"), ClientTimeout, ct);
        var foreign = await node.RunTlsAsync(server.GrpcAddress, _certificates.CaPath, Pem("foreign-client.crt"), Pem("foreign-client.key"), ClientTimeout, ct);
        var metrics = await server.ScrapeAsync();

        // Assert
        Assert.True(trusted.ExitCode == 0, trusted.ToString());
        Assert.NotEqual(0, foreign.ExitCode);
        Assert.Equal(90, metrics["als_entries_received_total"]);
        Assert.True(metrics["als_connections_rejected_total{reason=\"client_cert_untrusted\"}"] >= 1);
        Assert.Equal("https", server.GrpcAddress.Scheme);
    }
}
