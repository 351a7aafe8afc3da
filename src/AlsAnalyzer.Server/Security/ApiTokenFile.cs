namespace AlsAnalyzer.Server.Security;

internal static class ApiTokenFile
{
    /// <summary>The token in a mounted Secret's file, without the trailing newline editors and <c>echo</c> add.</summary>
    public static string Read(string path) => File.ReadAllText(path).Trim();
}
