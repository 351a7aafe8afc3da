namespace AlsAnalyzer.Core.Model;

/// <summary>
/// Problems found in the settings, each naming the setting as users write it
/// (<c>Als:MaxEdgesPerMinute</c>).
/// </summary>
internal sealed class SettingErrors
{
    private readonly List<string> _errors = [];

    public IReadOnlyList<string> All => _errors;

    public void Add(string error) => _errors.Add(error);

    public void Range(string key, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            _errors.Add($"Als:{key} is {value}; it must be between {min} and {max}.");
        }
    }

    public void Port(string key, int value) => Range(key, value, 0, 65535);

    /// <summary>The value must be one of <paramref name="allowed"/> (exactly, case-sensitively).</summary>
    public void OneOf(string key, string value, params string[] allowed)
    {
        if (Array.IndexOf(allowed, value) < 0)
        {
            var list = allowed.Length == 1 ? allowed[0] : string.Join(", ", allowed[..^1]) + " or " + allowed[^1];
            _errors.Add($"Als:{key} is '{value}'; it must be {list}.");
        }
    }
}
