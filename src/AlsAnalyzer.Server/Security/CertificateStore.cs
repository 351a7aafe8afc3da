using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Security;

/// <summary>
/// The server certificate, the client CA and the API token as last read from their files,
/// each swapped by reference when <see cref="Reload"/> finds the files changed. A TLS
/// handshake reads the current values, so new connections get a rotated certificate while
/// open connections (and their streams) keep the one they negotiated.
/// </summary>
internal sealed class CertificateStore
{
    private readonly SecurityOptions _options;
    private readonly SecurityMetrics _metrics;
    private readonly ILogger<CertificateStore> _logger;
    private readonly Lock _reloading = new();
    private byte[] _fingerprint = [];
    private volatile Material? _current;
    private volatile byte[] _tokenHash = [];

    public CertificateStore(IOptions<SecurityOptions> options, SecurityMetrics metrics, ILogger<CertificateStore> logger)
    {
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
        if (_options.ApiToken.Length > 0)
        {
            _tokenHash = Hash(_options.ApiToken);
        }

        // At start-up a bad file is fatal (the settings check found the files exist; here they must also parse).
        Reload(throwOnError: true);
    }

    /// <summary>The certificate new TLS connections get; null when TLS is off.</summary>
    public SslStreamCertificateContext? ServerCertificate => _current?.Server;

    /// <summary>SHA-256 of the bearer token the API requires; empty when the API is open.</summary>
    public ReadOnlySpan<byte> TokenHash => _tokenHash;

    /// <summary>Re-reads the files if their contents changed; a file that does not load keeps the previous material.</summary>
    public void Reload(bool throwOnError = false)
    {
        // Timer callbacks may overlap when reading the files is slow: one reload at a time, the other skips.
        if (!_reloading.TryEnter())
        {
            return;
        }

        try
        {
            ReloadCore(throwOnError);
        }
        finally
        {
            _reloading.Exit();
        }
    }

    private void ReloadCore(bool throwOnError)
    {
        var o = _options;
        try
        {
            var fingerprint = Fingerprint(o.TlsCertificatePath, o.TlsKeyPath, o.TlsClientCaPath, o.ApiTokenPath);
            if (fingerprint.AsSpan().SequenceEqual(_fingerprint))
            {
                return;
            }

            var first = _fingerprint.Length == 0;
            _current = o.TlsEnabled ? Load(o) : null;
            if (o.ApiTokenPath.Length > 0)
            {
                var token = ApiTokenFile.Read(o.ApiTokenPath);
                if (token.Length == 0)
                {
                    throw new InvalidDataException($"{o.ApiTokenPath} holds no token");
                }

                _tokenHash = Hash(token);
            }

            _fingerprint = fingerprint;
            if (!first)
            {
                _metrics.SecretsReloaded(SecurityMetrics.Reloaded);
                SecurityLog.SecretsReloaded(_logger, _current?.Server.TargetCertificate.Thumbprint ?? "-");
            }
        }
        catch (Exception ex) when (!throwOnError && ex is IOException or CryptographicException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
        {
            // cert-manager writes the files one by one: a half-written pair loads on the next poll.
            _metrics.SecretsReloaded(SecurityMetrics.Failed);
            SecurityLog.ReloadFailed(_logger, ex.Message);
        }
    }

    /// <summary>Whether <paramref name="certificate"/> chains to the configured client CA (and is valid now).</summary>
    public bool IsTrustedClient(X509Certificate certificate)
    {
        var authorities = _current?.ClientAuthorities;
        if (authorities is null)
        {
            return false;
        }

        using var leaf = new X509Certificate2(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(leaf);
    }

    private static Material Load(SecurityOptions o)
    {
        var leaf = X509Certificate2.CreateFromPemFile(o.TlsCertificatePath, o.TlsKeyPath);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(o.TlsCertificatePath);
        var intermediates = new X509Certificate2Collection();
        foreach (var c in chain)
        {
            if (c.Thumbprint != leaf.Thumbprint)
            {
                intermediates.Add(c);
            }
        }

        X509Certificate2Collection? authorities = null;
        if (o.ClientCertificatesRequired)
        {
            authorities = [];
            authorities.ImportFromPemFile(o.TlsClientCaPath);
            if (authorities.Count == 0)
            {
                throw new InvalidDataException($"{o.TlsClientCaPath} holds no certificate");
            }
        }

        return new Material(SslStreamCertificateContext.Create(leaf, intermediates, offline: true), authorities);
    }

    private static byte[] Fingerprint(params string[] paths)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in paths)
        {
            if (path.Length > 0)
            {
                hash.AppendData(File.ReadAllBytes(path));
            }

            hash.AppendData([0]);
        }

        return hash.GetHashAndReset();
    }

    private static byte[] Hash(string token) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));

    private sealed record Material(SslStreamCertificateContext Server, X509Certificate2Collection? ClientAuthorities);
}
