using System.Globalization;
using System.Reflection;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Server.Hosting;
using AlsAnalyzer.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Tests.Hosting;

/// <summary>
/// The README's settings table is the settings types, row for row: name, environment variable,
/// section and default. A setting added to a type without its row (or a row left behind) fails here.
/// </summary>
public sealed class SettingsDocumentationTests
{
    [Fact]
    public void ReadmeSettingsTable_MatchesEverySettingsType()
    {
        var rows = ReadmeRows();
        var documented = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in RegisteredSettingsTypes())
        {
            var section = (string)type.GetProperty("Section", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            var defaults = Activator.CreateInstance(type)!;
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            {
                var name = property.Name;
                Assert.True(rows.TryGetValue(name, out var row), $"README's settings table has no row for {type.Name}.{name}");
                documented.Add(name);
                Assert.StartsWith($"`Als__{name}`", row.Environment, StringComparison.Ordinal);
                Assert.Equal($"`{section}`", row.Section);
                AssertDefault(name, property.GetValue(defaults), row.Default);
            }
        }

        Assert.Empty(rows.Keys.Except(documented));
    }

    [Fact]
    public void Settings_NestedSectionWinsOverTheFlatName()
    {
        using var flat = AlsHost.Build(["--Als:MaxEdgesPerMinute=5"]);
        using var nested = AlsHost.Build(["--Als:MaxEdgesPerMinute=5", "--Als:Aggregation:MaxEdgesPerMinute=7"]);

        Assert.Equal(5, flat.Services.GetRequiredService<IOptions<AggregationOptions>>().Value.MaxEdgesPerMinute);
        Assert.Equal(7, nested.Services.GetRequiredService<IOptions<AggregationOptions>>().Value.MaxEdgesPerMinute);
    }

    [Fact]
    public void Settings_ValueThatIsNotANumber_IsReportedWithTheOtherProblems()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => AlsHost.Build(["--Als:GrpcPort=abc", "--Als:RetentionMinutes=0"]));

        Assert.Equal(2, ex.Failures.Count());
        Assert.Contains(ex.Failures, f => f.Contains("GrpcPort", StringComparison.Ordinal) && f.Contains("abc", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Als:RetentionMinutes is 0", StringComparison.Ordinal));
    }

    private static IReadOnlyList<Type> RegisteredSettingsTypes()
    {
        using var app = AlsHost.Build([]);
        var types = AlsSettings.Registered(app.Services);
        Assert.True(types.Count >= 8, "expected every subsystem's settings type to be registered");
        return [.. types];
    }

    private static void AssertDefault(string name, object? value, string cell)
    {
        switch (value)
        {
            case string { Length: 0 }:
                Assert.StartsWith("empty", cell, StringComparison.Ordinal);
                break;
            case string s when cell == "see above":
                Assert.Contains(s, File.ReadAllText(Path.Combine(Repository.Root, "README.md")), StringComparison.Ordinal);
                break;
            case bool b:
                Assert.Equal($"`{(b ? "true" : "false")}`", cell);
                break;
            default:
                Assert.True(
                    cell == $"`{Convert.ToString(value, CultureInfo.InvariantCulture)}`",
                    $"README gives {name} the default {cell}; the code's is {value}");
                break;
        }
    }

    private static Dictionary<string, (string Environment, string Section, string Default)> ReadmeRows()
    {
        var lines = File.ReadAllLines(Path.Combine(Repository.Root, "README.md"));
        var header = Array.FindIndex(lines, l => l.StartsWith("| setting | environment variable | section | default |", StringComparison.Ordinal));
        Assert.True(header >= 0, "README has no settings table");
        var rows = new Dictionary<string, (string, string, string)>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = line.Trim('|').Split(" | ").Select(c => c.Trim()).ToArray();
            rows.Add(cells[0].Trim('`'), (cells[1], cells[2], cells[3]));
        }

        return rows;
    }
}
