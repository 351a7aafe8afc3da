using System.Globalization;

namespace AlsAnalyzer.Benchmarks.Cli;

/// <summary>
/// <c>command --key value --flag</c> arguments. Everything after a lone <c>--</c> is passed
/// through untouched (to BenchmarkDotNet).
/// </summary>
internal sealed class CliArgs
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    private CliArgs(string command, IReadOnlyList<string> passThrough)
    {
        Command = command;
        PassThrough = passThrough;
    }

    public string Command { get; }

    public IReadOnlyList<string> PassThrough { get; }

    public static CliArgs Parse(string[] args)
    {
        var command = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "help";
        var pass = new List<string>();
        var i = command == "help" && (args.Length == 0 || args[0] != "help") ? 0 : 1;
        var options = new List<(string Key, string? Value)>();
        for (; i < args.Length; i++)
        {
            var a = args[i];
            if (a == "--")
            {
                pass.AddRange(args[(i + 1)..]);
                break;
            }

            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{a}'");
            }

            var key = a[2..];
            string? value = null;
            var eq = key.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = key[(eq + 1)..];
                key = key[..eq];
            }
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = args[++i];
            }

            options.Add((key, value));
        }

        var line = new CliArgs(command, pass);
        foreach (var (key, value) in options)
        {
            line._options[key] = value;
        }

        return line;
    }

    public bool Flag(string key)
    {
        _used.Add(key);
        if (!_options.TryGetValue(key, out var value))
        {
            return false;
        }

        return value is null || bool.Parse(value);
    }

    public string? String(string key)
    {
        _used.Add(key);
        return _options.TryGetValue(key, out var value) ? value ?? throw new ArgumentException($"--{key} needs a value") : null;
    }

    public string String(string key, string fallback) => String(key) ?? fallback;

    public int Int(string key, int fallback) => String(key) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;

    public double Double(string key, double fallback) => String(key) is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : fallback;

    /// <summary>Throws when an option was given that the command never asked for (a typo).</summary>
    public void RejectUnknown()
    {
        var unknown = _options.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException("unknown option(s): " + string.Join(", ", unknown.Select(k => "--" + k)));
        }
    }
}
