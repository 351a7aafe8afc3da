using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace AlsAnalyzer.Testing;

/// <summary>
/// A CA, server certificates (SAN <c>localhost</c>, <c>127.0.0.1</c>), a client certificate it
/// signed and one from a foreign CA, made by openssl in a temporary folder (deleted on dispose).
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private TestCertificates(string directory) => Directory = directory;

    public string Directory { get; }

    public string CaPath => Path.Combine(Directory, "ca.crt");

    public string ServerCertificatePath => Path.Combine(Directory, "server.crt");

    public string ServerKeyPath => Path.Combine(Directory, "server.key");

    /// <summary>Settings for <see cref="AlsTestServer"/>: TLS with the server certificate and, when asked, client certificates from the CA.</summary>
    public string[] Settings(bool requireClientCertificates) =>
        requireClientCertificates
            ? [$"TlsCertificatePath={ServerCertificatePath}", $"TlsKeyPath={ServerKeyPath}", $"TlsClientCaPath={CaPath}"]
            : [$"TlsCertificatePath={ServerCertificatePath}", $"TlsKeyPath={ServerKeyPath}"];

    public static async Task<TestCertificates> CreateAsync(CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Path.GetTempPath(), "als-tls-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var certificates = new TestCertificates(directory);
        await certificates.CaAsync("ca", cancellationToken).ConfigureAwait(false);
        await certificates.CaAsync("foreign-ca", cancellationToken).ConfigureAwait(false);
        await certificates.IssueAsync("server", "ca", "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth", cancellationToken).ConfigureAwait(false);
        await certificates.IssueAsync("server2", "ca", "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth", cancellationToken).ConfigureAwait(false);
        await certificates.IssueAsync("client", "ca", "envoy", "extendedKeyUsage=clientAuth", cancellationToken).ConfigureAwait(false);
        await certificates.IssueAsync("foreign-client", "foreign-ca", "intruder", "extendedKeyUsage=clientAuth", cancellationToken).ConfigureAwait(false);
        return certificates;
    }

    /// <summary>The certificate and key named <paramref name="name"/> (<c>client</c>, <c>foreign-client</c>, <c>server2</c>).</summary>
    public X509Certificate2 Load(string name) =>
        X509Certificate2.CreateFromPemFile(Path.Combine(Directory, name + ".crt"), Path.Combine(Directory, name + ".key"));

    /// <summary>Replaces the server's certificate and key on disk with <c>server2</c>'s (key first, as a Secret update may land).</summary>
    public void RotateServerCertificate()
    {
        File.Copy(Path.Combine(Directory, "server2.key"), ServerKeyPath, overwrite: true);
        File.Copy(Path.Combine(Directory, "server2.crt"), ServerCertificatePath, overwrite: true);
    }

    /// <summary>
    /// A handler that trusts only the test CA, presents <paramref name="clientCertificate"/> (if
    /// any) and reports the server certificate's thumbprint of each new connection.
    /// </summary>
    public SocketsHttpHandler Handler(string? clientCertificate = null, Action<string>? serverThumbprint = null)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(CaPath);
        var ssl = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                if (certificate is null)
                {
                    return false;
                }

                using var leaf = new X509Certificate2(certificate);
                serverThumbprint?.Invoke(leaf.Thumbprint);
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(leaf);
            },
        };
        if (clientCertificate is not null)
        {
            ssl.ClientCertificates = [Load(clientCertificate)];
        }

        return new SocketsHttpHandler { SslOptions = ssl, EnableMultipleHttp2Connections = false };
    }

    public static string Thumbprint(string certificatePath) => X509CertificateLoader.LoadCertificateFromFile(certificatePath).Thumbprint;

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Task CaAsync(string name, CancellationToken cancellationToken) =>
        OpensslAsync(
            cancellationToken,
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", name + ".key", "-out", name + ".crt", "-subj", "/CN=" + name, "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");

    private async Task IssueAsync(string name, string ca, string commonName, string extensions, CancellationToken cancellationToken)
    {
        await OpensslAsync(
            cancellationToken,
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + commonName).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(Directory, name + ".ext"), extensions + "\n", cancellationToken).ConfigureAwait(false);
        await OpensslAsync(
            cancellationToken,
            "x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key", "-CAcreateserial",
            "-out", name + ".crt", "-days", "2", "-extfile", name + ".ext").ConfigureAwait(false);
    }

    private async Task OpensslAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var result = await ProcessResult.RunAsync("openssl", arguments, Directory, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException("openssl failed: " + result);
        }
    }
}
