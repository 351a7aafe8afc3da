using System.Collections.Concurrent;
using System.Net;
using AlsAnalyzer.Server.Ingest;
using Microsoft.AspNetCore.Connections;

namespace AlsAnalyzer.Server.Security;

/// <summary>
/// Connection middleware on the ingest port: at most <c>limit</c> concurrent connections per
/// remote IP, so one client cannot hold every socket. A sidecar opens one connection per
/// cluster; 64 leaves room for gateways and node-level proxies behind one IP.
/// </summary>
internal sealed class ConnectionLimit(int limit, IngestStreamMetrics metrics, ILogger<ConnectionLimit> logger)
{
    private readonly ConcurrentDictionary<IPAddress, int> _open = new();

    public async Task InvokeAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        if (limit == 0 || connection.RemoteEndPoint is not IPEndPoint { Address: var ip })
        {
            await next(connection).ConfigureAwait(false);
            return;
        }

        var count = _open.AddOrUpdate(ip, 1, static (_, n) => n + 1);
        try
        {
            if (count > limit)
            {
                metrics.ConnectionRejected(ConnectionRejectReasons.IpConnectionLimit);
                Log.ConnectionRejected(logger, connection.RemoteEndPoint.ToString()!, ConnectionRejectReasons.IpConnectionLimit);
                connection.Abort(new ConnectionAbortedException("Too many connections from " + ip));
                return;
            }

            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            if (_open.AddOrUpdate(ip, 0, static (_, n) => n - 1) == 0)
            {
                _open.TryRemove(KeyValuePair.Create(ip, 0));
            }
        }
    }
}
