using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Server.Security;

namespace AlsAnalyzer.Server.Tests.Security;

public sealed class SecurityOptionsTests
{
    [Fact]
    public void Validate_Defaults_AreValid()
    {
        var errors = new SettingErrors();

        new SecurityOptions().Validate(errors);

        Assert.Empty(errors.All);
    }

    [Fact]
    public void Validate_HalfPairsMissingFilesAndTwoTokens_ReportsEachProblem()
    {
        var errors = new SettingErrors();

        new SecurityOptions
        {
            TlsKeyPath = "/nonexistent/tls.key",
            TlsClientCaPath = "/nonexistent/ca.crt",
            ApiToken = "a",
            ApiTokenPath = "/nonexistent/token",
            MaxConnectionsPerIp = -1,
        }.Validate(errors);

        Assert.Contains(errors.All, e => e.Contains("go together", StringComparison.Ordinal));
        Assert.Contains(errors.All, e => e.Contains("TlsClientCaPath needs TLS", StringComparison.Ordinal));
        Assert.Contains(errors.All, e => e.Contains("both given", StringComparison.Ordinal));
        Assert.Contains(errors.All, e => e.Contains("'/nonexistent/tls.key' does not exist", StringComparison.Ordinal));
        Assert.Contains(errors.All, e => e.Contains("'/nonexistent/ca.crt' does not exist", StringComparison.Ordinal));
        Assert.Contains(errors.All, e => e.Contains("'/nonexistent/token' does not exist", StringComparison.Ordinal));
        Assert.Contains(errors.All, e => e.Contains("MaxConnectionsPerIp is -1", StringComparison.Ordinal));
    }
}
