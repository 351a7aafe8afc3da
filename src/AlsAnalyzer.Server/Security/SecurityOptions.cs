using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Server.Security;

/// <summary>
/// TLS on both ports, client certificates on the ingest port, the API's bearer token and the
/// limits that keep one client from exhausting the ingest port. Everything is off by default
/// (cleartext, as in a mesh whose sidecars already encrypt), except the connection limits.
/// </summary>
internal sealed class SecurityOptions : ISettings
{
    public static string Section => "Security";

    /// <summary>PEM server certificate (leaf first, then intermediates) for both ports; empty = cleartext.</summary>
    public string TlsCertificatePath { get; set; } = string.Empty;

    /// <summary>PEM private key of <see cref="TlsCertificatePath"/>.</summary>
    public string TlsKeyPath { get; set; } = string.Empty;

    /// <summary>PEM CA bundle; when set, the ingest port requires a client certificate signed by it.</summary>
    public string TlsClientCaPath { get; set; } = string.Empty;

    /// <summary>How often certificate, key, CA and token files are checked for changes.</summary>
    public int SecretsReloadIntervalSeconds { get; set; } = 30;

    /// <summary>Bearer token the API and /metrics require; empty = open. /healthz and /readyz stay open.</summary>
    public string ApiToken { get; set; } = string.Empty;

    /// <summary>File holding the bearer token (a mounted Secret); re-read when it changes.</summary>
    public string ApiTokenPath { get; set; } = string.Empty;

    /// <summary>Concurrent connections one IP may hold on the ingest port; 0 = no limit.</summary>
    public int MaxConnectionsPerIp { get; set; } = 64;

    /// <summary>Seconds a connection with no open stream (or an HTTP/1.1 keep-alive) is kept.</summary>
    public int IdleConnectionTimeoutSeconds { get; set; } = 130;

    public bool TlsEnabled => TlsCertificatePath.Length > 0;

    public bool ClientCertificatesRequired => TlsClientCaPath.Length > 0;

    public void Validate(SettingErrors errors)
    {
        if ((TlsCertificatePath.Length > 0) != (TlsKeyPath.Length > 0))
        {
            errors.Add("Als:TlsCertificatePath and Als:TlsKeyPath go together: give both or neither.");
        }

        if (TlsClientCaPath.Length > 0 && TlsCertificatePath.Length == 0)
        {
            errors.Add("Als:TlsClientCaPath needs TLS: give Als:TlsCertificatePath and Als:TlsKeyPath too.");
        }

        if (ApiToken.Length > 0 && ApiTokenPath.Length > 0)
        {
            errors.Add("Als:ApiToken and Als:ApiTokenPath both given: use one.");
        }

        Readable(errors, nameof(TlsCertificatePath), TlsCertificatePath);
        Readable(errors, nameof(TlsKeyPath), TlsKeyPath);
        Readable(errors, nameof(TlsClientCaPath), TlsClientCaPath);
        Readable(errors, nameof(ApiTokenPath), ApiTokenPath);
        if (ApiTokenPath.Length > 0 && File.Exists(ApiTokenPath) && ApiTokenFile.Read(ApiTokenPath).Length == 0)
        {
            errors.Add($"Als:ApiTokenPath '{ApiTokenPath}' holds no token.");
        }

        errors.Range(nameof(SecretsReloadIntervalSeconds), SecretsReloadIntervalSeconds, 1, 86400);
        errors.Range(nameof(MaxConnectionsPerIp), MaxConnectionsPerIp, 0, 100_000);
        errors.Range(nameof(IdleConnectionTimeoutSeconds), IdleConnectionTimeoutSeconds, 1, 86400);
    }

    private static void Readable(SettingErrors errors, string key, string path)
    {
        if (path.Length > 0 && !File.Exists(path))
        {
            errors.Add($"Als:{key} '{path}' does not exist.");
        }
    }
}
