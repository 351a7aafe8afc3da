using System.Text.Json;
using System.Text.Json.Nodes;

namespace AlsAnalyzer.Interop.Tests;

/// <summary>Exact comparison of an API answer with the JSON expected, reporting every difference by path.</summary>
internal static class JsonAssert
{
    /// <summary>
    /// Fails unless <paramref name="actual"/> has exactly the properties, array items and values of
    /// <paramref name="expected"/> (property order aside; numbers by value), except for properties
    /// named in <paramref name="ignoredProperties"/>, wherever they are.
    /// </summary>
    public static void Equivalent(JsonNode expected, JsonElement actual, string what, params string[] ignoredProperties)
    {
        var differences = new List<string>();
        Compare(JsonSerializer.SerializeToElement(expected), actual, "$", new HashSet<string>(ignoredProperties, StringComparer.Ordinal), differences);
        Assert.True(
            differences.Count == 0,
            $"{what}: {differences.Count} difference(s){Environment.NewLine}  {string.Join(Environment.NewLine + "  ", differences)}{Environment.NewLine}actual: {actual}");
    }

    private static void Compare(JsonElement expected, JsonElement actual, string path, HashSet<string> ignored, List<string> differences)
    {
        // True and False are value kinds of their own: a wrong boolean is a wrong kind.
        if (expected.ValueKind != actual.ValueKind)
        {
            differences.Add($"{path}: expected {expected.GetRawText()}, actual {actual.GetRawText()}");
            return;
        }

        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in expected.EnumerateObject().Where(p => !ignored.Contains(p.Name)))
                {
                    if (actual.TryGetProperty(property.Name, out var value))
                    {
                        Compare(property.Value, value, $"{path}.{property.Name}", ignored, differences);
                    }
                    else
                    {
                        differences.Add($"{path}.{property.Name}: missing, expected {property.Value.GetRawText()}");
                    }
                }

                foreach (var property in actual.EnumerateObject().Where(p => !ignored.Contains(p.Name) && !expected.TryGetProperty(p.Name, out _)))
                {
                    differences.Add($"{path}.{property.Name}: not expected, actual {property.Value.GetRawText()}");
                }

                break;
            case JsonValueKind.Array:
                var expectedItems = expected.EnumerateArray().ToList();
                var actualItems = actual.EnumerateArray().ToList();
                if (expectedItems.Count != actualItems.Count)
                {
                    differences.Add($"{path}: {expectedItems.Count} items expected, {actualItems.Count} actual");
                }

                for (var i = 0; i < Math.Min(expectedItems.Count, actualItems.Count); i++)
                {
                    Compare(expectedItems[i], actualItems[i], $"{path}[{i}]", ignored, differences);
                }

                break;
            case JsonValueKind.Number:
                if (expected.GetDouble() != actual.GetDouble())
                {
                    differences.Add($"{path}: expected {expected.GetRawText()}, actual {actual.GetRawText()}");
                }

                break;
            case JsonValueKind.String:
                if (expected.GetString() != actual.GetString())
                {
                    differences.Add($"{path}: expected {expected.GetRawText()}, actual {actual.GetRawText()}");
                }

                break;
        }
    }
}
