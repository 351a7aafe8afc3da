using Xunit;

namespace AlsAnalyzer.Conformance.Tests;

/// <summary>Assertions whose failure message lists every offending item in full.</summary>
internal static class ConformanceAssert
{
    public static void None(IEnumerable<string> problems, string what)
    {
        var list = problems.ToList();
        if (list.Count > 0)
        {
            Assert.Fail($"{list.Count} {what}:{Environment.NewLine}{string.Join(Environment.NewLine, list)}");
        }
    }

    public static void SameItems(IEnumerable<string> expected, IEnumerable<string> actual, string what)
    {
        var expectedSet = expected.ToHashSet(StringComparer.Ordinal);
        var actualSet = actual.ToHashSet(StringComparer.Ordinal);
        var unexpected = actualSet.Except(expectedSet).Order(StringComparer.Ordinal).Select(item => $"+ {item}");
        var missing = expectedSet.Except(actualSet).Order(StringComparer.Ordinal).Select(item => $"- {item}");
        None([.. unexpected, .. missing], $"differences in {what} (+ found but not expected, - expected but not found)");
    }
}
