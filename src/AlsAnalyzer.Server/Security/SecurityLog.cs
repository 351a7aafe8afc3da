namespace AlsAnalyzer.Server.Security;

internal static partial class SecurityLog
{
    [LoggerMessage(201, LogLevel.Information, "Certificate, CA or token files changed and were reloaded; server certificate {Thumbprint}")]
    public static partial void SecretsReloaded(ILogger logger, string thumbprint);

    [LoggerMessage(202, LogLevel.Warning, "Certificate, CA or token files changed but did not load; the previous ones stay in use: {Error}")]
    public static partial void ReloadFailed(ILogger logger, string error);

    [LoggerMessage(203, LogLevel.Debug, "Request to {Path} without a valid bearer token: 401")]
    public static partial void Unauthorized(ILogger logger, string path);
}
