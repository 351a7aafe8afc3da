using System.Globalization;
using System.Text.Json;

namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>
/// A <c>fieldSelector</c> query parameter: comma-separated <c>field=value</c>, <c>field==value</c> or
/// <c>field!=value</c> over the field labels the resource supports (others are a 400, as on a real server).
/// </summary>
internal sealed class FieldSelector
{
    private readonly List<(string Field, bool Equal, string Value)> _terms;
    private readonly FakeKubeResource? _resource;

    private FieldSelector(FakeKubeResource? resource, List<(string Field, bool Equal, string Value)> terms)
    {
        _resource = resource;
        _terms = terms;
    }

    public static FieldSelector Everything { get; } = new(null, []);

    public bool IsEmpty => _terms.Count == 0;

    public static bool TryParse(string? text, FakeKubeResource resource, out FieldSelector selector, out string error)
    {
        selector = Everything;
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var terms = new List<(string, bool, string)>();
        foreach (var raw in text.Split(','))
        {
            var term = raw.Trim();
            string field;
            string value;
            bool equal;
            var ne = term.IndexOf("!=", StringComparison.Ordinal);
            var eq = term.IndexOf('=', StringComparison.Ordinal);
            if (ne >= 0)
            {
                (field, value, equal) = (term[..ne], term[(ne + 2)..], false);
            }
            else if (eq >= 0)
            {
                var skip = term.Length > eq + 1 && term[eq + 1] == '=' ? 2 : 1;
                (field, value, equal) = (term[..eq], term[(eq + skip)..], true);
            }
            else
            {
                error = $"invalid selector: '{text}'; can't understand '{term}'";
                return false;
            }

            field = field.Trim();
            if (!resource.Fields.ContainsKey(field))
            {
                error = $"field label not supported: {field}";
                return false;
            }

            terms.Add((field, equal, value.Trim()));
        }

        selector = new FieldSelector(resource, terms);
        return true;
    }

    public bool Matches(JsonElement obj)
    {
        foreach (var (field, equal, value) in _terms)
        {
            var actual = Read(obj, field) ?? _resource!.Fields[field];
            if ((actual == value) != equal)
            {
                return false;
            }
        }

        return true;
    }

    private static string? Read(JsonElement obj, string path)
    {
        var current = obj;
        foreach (var part in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current))
            {
                return null;
            }
        }

        return current.ValueKind switch
        {
            JsonValueKind.String => current.GetString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => current.GetInt64().ToString(CultureInfo.InvariantCulture),
            _ => null,
        };
    }
}
