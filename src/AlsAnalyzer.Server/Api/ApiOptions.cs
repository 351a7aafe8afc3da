using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Server.Api;

/// <summary>The HTTP API's query defaults.</summary>
internal sealed class ApiOptions : ISettings
{
    public static string Section => "Api";

    /// <summary>Query window (minutes) when a query gives no <c>from</c>.</summary>
    public int DefaultQueryMinutes { get; set; } = 15;

    public void Validate(SettingErrors errors) =>
        errors.Range(nameof(DefaultQueryMinutes), DefaultQueryMinutes, 1, 7 * 24 * 60);
}
