using System.Text.RegularExpressions;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Core.Tests;

/// <summary>
/// The folders of <c>src/AlsAnalyzer.Core</c> depend on each other in one direction only, as
/// ARCHITECTURE.md draws them: a file that imports against that direction fails the build's tests.
/// </summary>
public sealed partial class ArchitectureTests
{
    /// <summary>Each Core folder and the folders it may use (ARCHITECTURE.md, "Core's folders").</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Model"] = [],
        ["Identity"] = ["Model"],
        ["Peers"] = ["Identity", "Model"],
        ["Decoding"] = ["Peers", "Identity", "Model"],
        ["Analysis"] = ["Decoding", "Peers", "Identity", "Model"],
        ["Kubernetes"] = ["Analysis", "Decoding", "Peers", "Identity", "Model"],
        ["Aggregation"] = ["Analysis", "Decoding", "Model"],
        ["Metrics"] = ["Identity", "Model"],
        ["Ingest"] = ["Aggregation", "Analysis", "Decoding", "Peers", "Identity", "Model"],
        ["Query"] = ["Aggregation", "Analysis", "Decoding", "Metrics", "Model"],
        ["IstioMetrics"] = ["Aggregation", "Analysis", "Decoding", "Model"],
        ["Persistence"] = ["Aggregation", "Decoding", "Metrics", "Identity", "Model"],
    };

    private static string CoreRoot => Path.Combine(Repository.Root, "src", "AlsAnalyzer.Core");

    [Fact]
    public void CoreFolders_ImportOnlyAlongTheDirection()
    {
        var violations = new List<string>();
        foreach (var folder in Folders())
        {
            var allowed = Allowed[folder];
            foreach (var file in Directory.EnumerateFiles(Path.Combine(CoreRoot, folder), "*.cs", SearchOption.AllDirectories))
            {
                foreach (Match m in CoreReference().Matches(File.ReadAllText(file)))
                {
                    var target = m.Groups[1].Value;
                    if (target != folder && Array.IndexOf(allowed, target) < 0)
                    {
                        violations.Add($"{Path.GetRelativePath(CoreRoot, file)} uses {folder} -> {target}");
                    }
                }
            }
        }

        Assert.True(violations.Count == 0, "Imports against the direction in ARCHITECTURE.md:\n" + string.Join('\n', violations.Distinct()));
    }

    [Fact]
    public void CoreFolders_EachHasARuleAndTheRulesHaveNoCycle()
    {
        Assert.Equal(Allowed.Keys.Order(), Folders().Order());

        // A topological order exists: repeatedly remove folders whose dependencies are all removed.
        var left = Allowed.ToDictionary(p => p.Key, p => p.Value.ToHashSet());
        while (left.Count > 0)
        {
            var free = left.Where(p => p.Value.All(d => !left.ContainsKey(d))).Select(p => p.Key).ToList();
            Assert.True(free.Count > 0, "The allowed dependencies form a cycle among: " + string.Join(", ", left.Keys));
            free.ForEach(f => left.Remove(f));
        }
    }

    [Fact]
    public void ArchitectureDocument_ListsEveryCoreFolderWithItsDependencies()
    {
        var doc = File.ReadAllText(Path.Combine(Repository.Root, "ARCHITECTURE.md"));

        foreach (var (folder, allowed) in Allowed)
        {
            var line = Regex.Match(doc, $@"^\| `{folder}/` \|.*\| (?<deps>[^|]*) \|$", RegexOptions.Multiline);
            Assert.True(line.Success, $"ARCHITECTURE.md has no row for {folder}/");
            var listed = line.Groups["deps"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(d => d.Trim('`')).Where(d => d != "-").Order();
            Assert.Equal(allowed.Order(), listed);
        }
    }

    [Fact]
    public void Core_ReferencesNoAspNetCore()
    {
        var references = typeof(Aggregator).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? string.Empty);

        Assert.DoesNotContain(references, name => name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    private static IEnumerable<string> Folders() =>
        Directory.EnumerateDirectories(CoreRoot)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => name is not ("bin" or "obj"));

    // A using directive or a qualified name: AlsAnalyzer.Core.<Folder>.
    [GeneratedRegex(@"\bAlsAnalyzer\.Core\.([A-Z][A-Za-z]*)\b")]
    private static partial Regex CoreReference();
}
