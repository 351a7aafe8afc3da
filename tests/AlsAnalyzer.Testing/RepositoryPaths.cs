namespace AlsAnalyzer.Testing;

/// <summary>Files of the repository the tests read (README, ARCHITECTURE.md, sources, manifests).</summary>
public static class RepositoryPaths
{
    /// <summary>The repository root: the first folder above the test binaries that holds <c>AlsAnalyzer.sln</c>.</summary>
    public static string Root { get; } = FindRoot();

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AlsAnalyzer.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No AlsAnalyzer.sln above {AppContext.BaseDirectory}.");
    }
}
