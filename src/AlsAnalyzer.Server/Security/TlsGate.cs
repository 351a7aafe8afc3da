using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using AlsAnalyzer.Server.Ingest;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace AlsAnalyzer.Server.Security;

/// <summary>
/// TLS on a Kestrel endpoint with the <see cref="CertificateStore"/>'s current certificate,
/// and, on the ingest port, the refusals counted in <c>als_connections_rejected_total</c>:
/// cleartext (<c>not_tls</c>, seen from the first byte, which is not a TLS handshake record),
/// a failed handshake (<c>tls_handshake_failed</c>), no client certificate
/// (<c>client_cert_missing</c>) or one the client CA did not sign (<c>client_cert_untrusted</c>).
/// </summary>
internal sealed class TlsGate(CertificateStore store, IngestStreamMetrics metrics, ILogger<TlsGate> logger, TimeSpan timeout)
{
    private const byte HandshakeRecord = 0x16;
    private static readonly object Passed = new();
    private static readonly string PassedKey = "als.tls.passed";
    private static readonly string ReasonKey = "als.tls.reason";

    /// <summary>Adds TLS to <paramref name="listen"/>; <paramref name="requireClientCertificate"/> on the ingest port only.</summary>
    public void Apply(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen, bool requireClientCertificate, SslApplicationProtocol protocol, bool counted)
    {
        if (counted)
        {
            listen.Use(next => connection => OuterAsync(connection, next));
        }

        listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            HandshakeTimeout = timeout,
            OnConnection = context => ValueTask.FromResult(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = store.ServerCertificate,
                ApplicationProtocols = [protocol],
                ClientCertificateRequired = requireClientCertificate,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = requireClientCertificate
                    ? (_, certificate, _, _) => Validate(context.Connection, certificate)
                    : null,
            }),
        });
        if (counted)
        {
            listen.Use(next => connection =>
            {
                connection.Items[PassedKey] = Passed;
                return next(connection);
            });
        }
    }

    private bool Validate(ConnectionContext connection, X509Certificate? certificate)
    {
        if (certificate is null)
        {
            connection.Items[ReasonKey] = ConnectionRejectReasons.ClientCertMissing;
            return false;
        }

        if (!store.IsTrustedClient(certificate))
        {
            connection.Items[ReasonKey] = ConnectionRejectReasons.ClientCertUntrusted;
            return false;
        }

        return true;
    }

    private async Task OuterAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var input = connection.Transport.Input;
        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed))
        {
            cts.CancelAfter(timeout);
            try
            {
                var result = await input.ReadAsync(cts.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                var first = buffer.IsEmpty ? (byte?)null : buffer.FirstSpan[0];

                // Peek only: the handshake reads these bytes again.
                input.AdvanceTo(buffer.Start);
                if (first is null)
                {
                    return;
                }

                if (first != HandshakeRecord)
                {
                    Reject(connection, ConnectionRejectReasons.NotTls);
                    return;
                }
            }
            catch (OperationCanceledException) when (!connection.ConnectionClosed.IsCancellationRequested)
            {
                Reject(connection, ConnectionRejectReasons.PrefaceTimeout);
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        await next(connection).ConfigureAwait(false);
        if (!connection.Items.ContainsKey(PassedKey))
        {
            var reason = connection.Items.TryGetValue(ReasonKey, out var r) ? (string)r! : ConnectionRejectReasons.TlsHandshakeFailed;
            metrics.ConnectionRejected(reason);
            Log.ConnectionRejected(logger, connection.RemoteEndPoint?.ToString() ?? "unknown", reason);
        }
    }

    private void Reject(ConnectionContext connection, string reason)
    {
        metrics.ConnectionRejected(reason);
        Log.ConnectionRejected(logger, connection.RemoteEndPoint?.ToString() ?? "unknown", reason);
        connection.Abort(new ConnectionAbortedException("Refused: " + reason));
    }
}
