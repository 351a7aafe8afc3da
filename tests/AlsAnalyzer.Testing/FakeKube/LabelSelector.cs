using System.Text.Json;
using System.Text.RegularExpressions;

namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>
/// A <c>labelSelector</c> query parameter: comma-separated requirements <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>,
/// <c>k in (a,b)</c>, <c>k notin (a,b)</c>, <c>k</c> and <c>!k</c>, all of which must hold.
/// </summary>
internal sealed partial class LabelSelector
{
    private readonly List<Requirement> _requirements;

    private LabelSelector(List<Requirement> requirements) => _requirements = requirements;

    private enum Operator
    {
        Equals,
        NotEquals,
        In,
        NotIn,
        Exists,
        DoesNotExist,
    }

    public static LabelSelector Everything { get; } = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    /// <summary>Parses a selector; on failure <paramref name="error"/> is the API server's 400 message.</summary>
    public static bool TryParse(string? text, out LabelSelector selector, out string error)
    {
        selector = Everything;
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var requirements = new List<Requirement>();
        foreach (var term in SplitTopLevel(text))
        {
            var t = term.Trim();
            Match m;
            if (t.StartsWith('!'))
            {
                var key = t[1..].Trim();
                if (!KeyPattern().IsMatch(key))
                {
                    error = $"unable to parse requirement: invalid label key \"{key}\"";
                    return false;
                }

                requirements.Add(new Requirement(key, Operator.DoesNotExist, []));
            }
            else if ((m = SetPattern().Match(t)).Success)
            {
                var values = m.Groups["values"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                var op = m.Groups["op"].Value == "in" ? Operator.In : Operator.NotIn;
                requirements.Add(new Requirement(m.Groups["key"].Value, op, values));
            }
            else if ((m = ComparePattern().Match(t)).Success)
            {
                var op = m.Groups["op"].Value == "!=" ? Operator.NotEquals : Operator.Equals;
                requirements.Add(new Requirement(m.Groups["key"].Value, op, [m.Groups["value"].Value.Trim()]));
            }
            else if (KeyPattern().IsMatch(t))
            {
                requirements.Add(new Requirement(t, Operator.Exists, []));
            }
            else
            {
                error = $"unable to parse requirement: found '{t}', expected: '=', '!=', '==', 'in', notin'";
                return false;
            }
        }

        selector = new LabelSelector(requirements);
        return true;
    }

    public bool Matches(JsonElement obj)
    {
        if (_requirements.Count == 0)
        {
            return true;
        }

        var labels = obj.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("labels", out var l) && l.ValueKind == JsonValueKind.Object
            ? l
            : default;
        foreach (var r in _requirements)
        {
            string? value = null;
            if (labels.ValueKind == JsonValueKind.Object && labels.TryGetProperty(r.Key, out var v) && v.ValueKind == JsonValueKind.String)
            {
                value = v.GetString();
            }

            var holds = r.Op switch
            {
                Operator.Equals => value is not null && value == r.Values[0],
                Operator.NotEquals => value is null || value != r.Values[0],
                Operator.In => value is not null && r.Values.Contains(value),
                Operator.NotIn => value is null || !r.Values.Contains(value),
                Operator.Exists => value is not null,
                _ => value is null,
            };
            if (!holds)
            {
                return false;
            }
        }

        return true;
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
                default:
                    break;
            }
        }

        yield return text[start..];
    }

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$")]
    private static partial Regex KeyPattern();

    [GeneratedRegex(@"^(?<key>[A-Za-z0-9][A-Za-z0-9._/-]*)\s+(?<op>in|notin)\s*\((?<values>[^)]*)\)$")]
    private static partial Regex SetPattern();

    [GeneratedRegex(@"^(?<key>[A-Za-z0-9][A-Za-z0-9._/-]*)\s*(?<op>==|!=|=)\s*(?<value>[A-Za-z0-9._-]*)$")]
    private static partial Regex ComparePattern();

    private sealed record Requirement(string Key, Operator Op, string[] Values);
}
