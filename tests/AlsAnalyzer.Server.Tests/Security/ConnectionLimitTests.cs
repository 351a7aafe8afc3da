using System.Net.Sockets;
using AlsAnalyzer.Server.Tests.Support;
using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Server.Tests.Security;

/// <summary>The ingest port's limits on one client: connections per IP and idle connections.</summary>
public sealed class ConnectionLimitTests
{
    private static ReadOnlySpan<byte> PrefaceAndSettings => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\u0004\0\0\0\0\0"u8;

    [Fact]
    public async Task Ingest_MoreConnectionsFromOneIpThanTheLimit_ExcessIsClosedAndCounted()
    {
        await using var server = await AlsTestServer.StartAsync("MaxConnectionsPerIp=2");
        var ct = TestContext.Current.CancellationToken;
        // Apart in time, so that the server has counted each before the next arrives.
        using var first = await ConnectAsync(server, ct);
        await Task.Delay(200, ct);
        using var second = await ConnectAsync(server, ct);
        await Task.Delay(200, ct);
        // The server may close the third before the client has seen its connect complete: a
        // reset during connect is the same rejection as a close right after it.
        Socket? third = null;
        try
        {
            third = await ConnectAsync(server, ct);
            Assert.Equal(0, await ReadUntilClosedAsync(third, TimeSpan.FromSeconds(10), ct));
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
        finally
        {
            third?.Dispose();
        }

        var metrics = await server.ScrapeAsync();
        Assert.Equal(1, metrics["als_connections_rejected_total{reason=\"ip_connection_limit\"}"]);

        first.Dispose();
        second.Dispose();

        // The server notices the two closes asynchronously: once it has, a client gets in again.
        var call = new HttpCall { Source = Mesh.Productpage, Destination = Mesh.Details, Start = DateTimeOffset.UtcNow.AddSeconds(-5) };
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            using var client = new AlsClient(server.GrpcAddress);
            try
            {
                await client.SendAsync([Calls.HttpMessage([Calls.Outbound(call)], Nodes.Sidecar(Mesh.Productpage))], cancellationToken: ct);
                break;
            }
            catch (Exception ex) when (ex is Grpc.Core.RpcException or IOException or HttpRequestException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct);
            }
        }

        metrics = await server.ScrapeAsync();
        Assert.True(metrics["als_entries_received_total"] >= 1);
    }

    [Fact]
    public async Task Ingest_ConnectionWithNoStream_IsClosedAfterTheIdleTimeout()
    {
        await using var server = await AlsTestServer.StartAsync("IdleConnectionTimeoutSeconds=1");
        var ct = TestContext.Current.CancellationToken;
        using var socket = await ConnectAsync(server, ct);
        await socket.SendAsync(PrefaceAndSettings.ToArray(), ct);
        var started = DateTime.UtcNow;

        // Kestrel answers with its SETTINGS, then a GOAWAY, then closes.
        await ReadUntilClosedAsync(socket, TimeSpan.FromSeconds(15), ct);

        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(10));
    }

    private static async Task<Socket> ConnectAsync(AlsTestServer server, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(server.GrpcAddress.Host, server.GrpcAddress.Port, ct);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads until the server closes; returns the bytes read. Fails on timeout.</summary>
    private static async Task<int> ReadUntilClosedAsync(Socket socket, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        var buffer = new byte[4096];
        var total = 0;
        while (true)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, cts.Token);
            }
            catch (SocketException)
            {
                return total;
            }

            if (n == 0)
            {
                return total;
            }

            total += n;
        }
    }
}
