using System.Reflection;

namespace AlsAnalyzer.Testing;

/// <summary>The repository the tests run from, for the files they read in it (protos/, deploy/, tests/interop, artifacts/).</summary>
public static class Repository
{
    /// <summary>The repository's root folder, recorded at build time (see AlsAnalyzer.Testing.csproj).</summary>
    public static string Root { get; } = typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(attribute => attribute.Key == "RepositoryRoot").Value
        ?? throw new InvalidOperationException("Assembly metadata RepositoryRoot is empty: see AlsAnalyzer.Testing.csproj.");
}
