using System.Globalization;
using System.Text;

namespace AlsAnalyzer.Core.Kubernetes;

internal sealed partial class ServiceNameTemplate
{
    /// <summary>The paths an alternative may name; keyed ones take a label or annotation key.</summary>
    private static readonly PathSpec[] Paths =
    [
        new("pod.metadata.name", Source.PodName, Keyed: false),
        new("pod.metadata.namespace", Source.PodNamespace, Keyed: false),
        new("pod.metadata.labels", Source.PodLabel, Keyed: true),
        new("pod.metadata.annotations", Source.PodAnnotation, Keyed: true),
        new("pod.spec.serviceAccountName", Source.PodServiceAccount, Keyed: false),
        new("pod.spec.nodeName", Source.PodNodeName, Keyed: false),
        new("pod.workload", Source.PodWorkload, Keyed: false),
        new("service.metadata.name", Source.ServiceName, Keyed: false),
        new("service.metadata.namespace", Source.ServiceNamespace, Keyed: false),
        new("service.metadata.labels", Source.ServiceLabel, Keyed: true),
        new("service.metadata.annotations", Source.ServiceAnnotation, Keyed: true),
    ];

    private readonly record struct PathSpec(string Path, Source Source, bool Keyed)
    {
        public string Display => Keyed ? Path + ".<key>" : Path;
    }

    /// <summary>A recursive-descent parser over the template text. Every failure is reported through <see cref="Fail"/>; nothing throws.</summary>
    private sealed class Parser(string text)
    {
        private const int ExcerptBefore = 40;
        private const int ExcerptLength = 72;
        private const string Ellipsis = "...";

        private readonly string _text = text;
        private readonly List<Segment> _segments = [];
        private int _end;
        private int _pos;
        private string _error = string.Empty;

        public bool TryParse(out string prefix, out Segment[] segments, out string suffix, out string error)
        {
            prefix = string.Empty;
            suffix = string.Empty;
            segments = [];
            error = string.Empty;
            if (!ParseTemplate(ref prefix, ref suffix))
            {
                error = _error;
                return false;
            }

            segments = [.. _segments];
            return true;
        }

        private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

        private static bool IsDotKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

        private static bool IsKeyChar(char c) => IsDotKeyChar(c) || c is '.' or '/';

        private static string At(int index) => "at position " + (index + 1).ToString(CultureInfo.InvariantCulture);

        private static string Describe(char c) => c switch
        {
            '\'' => "\"'\"",
            _ when char.IsControl(c) || char.IsWhiteSpace(c) || char.IsSurrogate(c) => "U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
            _ => "'" + c + "'",
        };

        private static string Expected(string prefix) =>
            string.Join(", ", Paths.Where(p => p.Path.StartsWith(prefix + ".", StringComparison.Ordinal)).Select(p => p.Display));

        private bool ParseTemplate(ref string prefix, ref string suffix)
        {
            if (_text.Length == 0)
            {
                _error = "empty template; expected literal text and at least one ${...} segment, e.g. ${pod.metadata.labels.app}";
                return false;
            }

            var start = 0;
            _end = _text.Length;
            while (start < _end && char.IsWhiteSpace(_text[start]))
            {
                start++;
            }

            while (_end > start && char.IsWhiteSpace(_text[_end - 1]))
            {
                _end--;
            }

            if (start == _end)
            {
                _error = "empty template (only white space); expected literal text and at least one ${...} segment, e.g. ${pod.metadata.labels.app}";
                return false;
            }

            _pos = start;
            var literalStart = start;
            while (_pos < _end)
            {
                var c = _text[_pos];
                if (c == '$')
                {
                    if (_pos + 1 >= _end || _text[_pos + 1] != '{')
                    {
                        return Fail(_pos, $"'$' not followed by '{{' {At(_pos)}; expected '${{' to start a segment");
                    }

                    var literal = _text[literalStart.._pos];
                    if (_segments.Count == 0)
                    {
                        prefix = literal;
                    }

                    if (!ParseSegment(_segments.Count == 0 ? string.Empty : literal))
                    {
                        return false;
                    }

                    literalStart = _pos;
                    continue;
                }

                if (c == '{')
                {
                    return Fail(_pos, $"'{{' outside a segment {At(_pos)}; expected '${{' to start a segment");
                }

                if (c == '}')
                {
                    return Fail(_pos, $"unmatched '}}' {At(_pos)}; expected literal text or '${{'");
                }

                _pos++;
            }

            if (_segments.Count == 0)
            {
                return Fail(start, $"no ${{...}} segment in the template {At(start)}; expected at least one, e.g. ${{pod.metadata.labels.app}}, else every pod gets the same name");
            }

            suffix = _text[literalStart.._end];
            return true;
        }

        /// <summary>Parses the segment starting at <see cref="_pos"/> (its <c>${</c>) and leaves <see cref="_pos"/> after its <c>}</c>.</summary>
        private bool ParseSegment(string separator)
        {
            var segmentStart = _pos;
            if (!CheckTerminated(segmentStart))
            {
                return false;
            }

            _pos += 2;
            var alternatives = new List<Alternative>();
            while (true)
            {
                SkipWhiteSpace();
                if (_pos >= _end)
                {
                    return Fail(segmentStart, $"unterminated ${{ {At(segmentStart)}; expected '}}'");
                }

                var c = _text[_pos];
                if (c is ',' or '}')
                {
                    return Fail(_pos, $"empty alternative {At(_pos)}; expected a path such as pod.metadata.name or a quoted literal such as 'unknown'");
                }

                if (c == '$' && _pos + 1 < _end && _text[_pos + 1] == '{')
                {
                    return Fail(_pos, $"nested '${{' {At(_pos)}; segments cannot be nested (is a '}}' missing before it?)");
                }

                Alternative alternative;
                string described;
                if (c == '\'')
                {
                    if (!ParseQuoted(out alternative))
                    {
                        return false;
                    }

                    described = "the literal '" + Shorten(alternative.Key) + "'";
                }
                else if (IsNameChar(c))
                {
                    var pathStart = _pos;
                    if (!ParsePath(out alternative))
                    {
                        return false;
                    }

                    described = "'" + _text[pathStart.._pos] + "'";
                }
                else
                {
                    return Fail(_pos, $"unexpected {Describe(c)} {At(_pos)}; expected a path (pod.metadata..., pod.spec..., pod.workload, service.metadata...) or a literal in single quotes");
                }

                alternatives.Add(alternative);
                SkipWhiteSpace();
                if (_pos >= _end)
                {
                    return Fail(segmentStart, $"unterminated ${{ {At(segmentStart)}; expected '}}'");
                }

                c = _text[_pos];
                if (c == '}')
                {
                    _pos++;
                    _segments.Add(new Segment(separator, [.. alternatives]));
                    return true;
                }

                if (c == ',' && alternative.Source == Source.Literal)
                {
                    return Fail(_pos, $"unexpected ',' after {described} {At(_pos)}; expected '}}': a quoted literal always applies, so it must be the last alternative");
                }

                if (c == ',')
                {
                    _pos++;
                    continue;
                }

                if (c == '$' && _pos + 1 < _end && _text[_pos + 1] == '{')
                {
                    return Fail(_pos, $"nested '${{' {At(_pos)}; segments cannot be nested (is a '}}' missing before it?)");
                }

                return Fail(_pos, $"unexpected {Describe(c)} after {described} {At(_pos)}; expected ',' or '}}'");
            }
        }

        /// <summary>Reports an unterminated segment or quote before parsing the segment's content, which would otherwise fail on a symptom.</summary>
        private bool CheckTerminated(int segmentStart)
        {
            for (var i = segmentStart + 2; i < _end; i++)
            {
                if (_text[i] == '}')
                {
                    return true;
                }

                if (_text[i] == '\'')
                {
                    var close = _text.IndexOf('\'', i + 1, _end - i - 1);
                    if (close < 0)
                    {
                        return Fail(i, $"unterminated quote {At(i)}; expected a closing \"'\"");
                    }

                    i = close;
                }
            }

            return Fail(segmentStart, $"unterminated ${{ {At(segmentStart)}; expected '}}'");
        }

        private bool ParseQuoted(out Alternative alternative)
        {
            alternative = default;
            var open = _pos;
            var close = open + 1 < _end ? _text.IndexOf('\'', open + 1, _end - open - 1) : -1;
            if (close < 0)
            {
                return Fail(open, $"unterminated quote {At(open)}; expected a closing \"'\"");
            }

            var value = _text[(open + 1)..close];
            if (string.IsNullOrWhiteSpace(value))
            {
                return Fail(open, $"empty literal {At(open)}; expected text between the quotes");
            }

            _pos = close + 1;
            alternative = new Alternative(Source.Literal, value);
            return true;
        }

        private bool ParsePath(out Alternative alternative)
        {
            alternative = default;
            var parent = string.Empty;
            var componentStart = _pos;
            var path = ReadName();
            while (true)
            {
                foreach (var spec in Paths)
                {
                    if (spec.Path == path)
                    {
                        if (!spec.Keyed)
                        {
                            alternative = new Alternative(spec.Source, string.Empty);
                            return true;
                        }

                        if (!ParseKey(path, out var key))
                        {
                            return false;
                        }

                        alternative = new Alternative(spec.Source, key);
                        return true;
                    }
                }

                if (Expected(path).Length == 0)
                {
                    return parent.Length == 0
                        ? Fail(componentStart, $"unknown object '{path}' {At(componentStart)}{Suggest(parent, path)}; expected one of: pod, service")
                        : Fail(componentStart, $"unknown field '{path}' {At(componentStart)}{Suggest(parent, path)}; expected one of: {Expected(parent)}");
                }

                if (_pos >= _end || _text[_pos] != '.')
                {
                    return Fail(_pos, $"incomplete path '{path}' {At(_pos)}; expected one of: {Expected(path)}");
                }

                _pos++;
                componentStart = _pos;
                var name = ReadName();
                if (name.Length == 0)
                {
                    var found = _pos < _end ? Describe(_text[_pos]) : "the end";
                    return Fail(_pos, $"unexpected {found} after '{path}.' {At(_pos)}; expected one of: {Expected(path)}");
                }

                parent = path;
                path = path + "." + name;
            }
        }

        private bool ParseKey(string path, out string key)
        {
            key = string.Empty;
            if (_pos < _end && _text[_pos] == '.')
            {
                _pos++;
                var keyStart = _pos;
                while (_pos < _end && IsDotKeyChar(_text[_pos]))
                {
                    _pos++;
                }

                if (_pos < _end && _text[_pos] is '.' or '/')
                {
                    var keyEnd = _pos;
                    while (keyEnd < _end && IsKeyChar(_text[keyEnd]))
                    {
                        keyEnd++;
                    }

                    var full = _text[keyStart..keyEnd];
                    return Fail(_pos, $"{Describe(_text[_pos])} in the key '{full}' {At(_pos)}; expected brackets for keys with '.' or '/': {path}['{full}']");
                }

                if (_pos == keyStart)
                {
                    var found = _pos < _end ? Describe(_text[_pos]) : "the end";
                    return Fail(_pos, $"missing key: unexpected {found} after '{path}.' {At(_pos)}; expected a key such as {path}.app, or {path}['<key>'] for keys with '.' or '/'");
                }

                key = _text[keyStart.._pos];
                return true;
            }

            if (_pos < _end && _text[_pos] == '[')
            {
                _pos++;
                if (_pos >= _end || _text[_pos] != '\'')
                {
                    var found = _pos < _end ? Describe(_text[_pos]) : "the end";
                    return Fail(_pos, $"unexpected {found} after '{path}[' {At(_pos)}; expected a key in single quotes: {path}['<key>']");
                }

                var open = _pos;
                var close = open + 1 < _end ? _text.IndexOf('\'', open + 1, _end - open - 1) : -1;
                if (close < 0)
                {
                    return Fail(open, $"unterminated quote {At(open)}; expected a closing \"'\"");
                }

                if (close == open + 1)
                {
                    return Fail(open, $"empty key {At(open)}; expected a label or annotation key between the quotes");
                }

                for (var i = open + 1; i < close; i++)
                {
                    if (!IsKeyChar(_text[i]))
                    {
                        return Fail(i, $"invalid character {Describe(_text[i])} in key {At(i)}; expected letters, digits, '-', '_', '.' or '/'");
                    }
                }

                _pos = close + 1;
                if (_pos >= _end || _text[_pos] != ']')
                {
                    var found = _pos < _end ? Describe(_text[_pos]) : "the end";
                    return Fail(_pos, $"unexpected {found} after the key {At(_pos)}; expected ']'");
                }

                _pos++;
                key = _text[(open + 1)..close];
                return true;
            }

            var next = _pos < _end ? Describe(_text[_pos]) : "the end";
            return Fail(_pos, $"missing key: unexpected {next} after '{path}' {At(_pos)}; expected .<key> or ['<key>'], e.g. {path}.app");
        }

        /// <summary>A hint for a misspelt component: the known one closest to it, within two edits.</summary>
        private static string Suggest(string parent, string path)
        {
            var depth = parent.Length == 0 ? 0 : parent.Count(c => c == '.') + 1;
            var component = path[(parent.Length == 0 ? 0 : parent.Length + 1)..];
            string? best = null;
            var bestDistance = int.MaxValue;
            foreach (var spec in Paths)
            {
                if (parent.Length > 0 && !spec.Path.StartsWith(parent + ".", StringComparison.Ordinal))
                {
                    continue;
                }

                var parts = spec.Path.Split('.');
                if (parts.Length <= depth)
                {
                    continue;
                }

                var distance = Distance(component, parts[depth]);
                if (distance < bestDistance)
                {
                    bestDistance = distance;
                    best = string.Join('.', parts, 0, depth + 1);
                }
            }

            return best is not null && bestDistance <= 2 ? $" (did you mean '{best}'?)" : string.Empty;
        }

        /// <summary>Edit distance ignoring case (a case slip counts as nothing, so it is always suggested).</summary>
        private static int Distance(string a, string b)
        {
            var previous = new int[b.Length + 1];
            var current = new int[b.Length + 1];
            for (var j = 0; j <= b.Length; j++)
            {
                previous[j] = j;
            }

            for (var i = 1; i <= a.Length; i++)
            {
                current[0] = i;
                for (var j = 1; j <= b.Length; j++)
                {
                    var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                    current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                }

                (previous, current) = (current, previous);
            }

            return previous[b.Length];
        }

        private static string Shorten(string value) => value.Length <= ExcerptBefore ? value : value[..ExcerptBefore] + Ellipsis;

        private string ReadName()
        {
            var start = _pos;
            while (_pos < _end && IsNameChar(_text[_pos]))
            {
                _pos++;
            }

            return _text[start.._pos];
        }

        private void SkipWhiteSpace()
        {
            while (_pos < _end && char.IsWhiteSpace(_text[_pos]))
            {
                _pos++;
            }
        }

        /// <summary>
        /// Records <paramref name="message"/> with an excerpt of the template and a caret under <paramref name="index"/>:
        /// three lines, whatever the template holds (control characters in quoted parts become spaces).
        /// </summary>
        private bool Fail(int index, string message)
        {
            message = string.Create(message.Length, message, static (span, m) =>
            {
                for (var i = 0; i < m.Length; i++)
                {
                    span[i] = char.IsControl(m[i]) ? ' ' : m[i];
                }
            });
            var start = Math.Max(0, index - ExcerptBefore);
            var end = Math.Min(_text.Length, start + ExcerptLength);
            var excerpt = new StringBuilder();
            if (start > 0)
            {
                excerpt.Append(Ellipsis);
            }

            foreach (var c in _text.AsSpan(start, end - start))
            {
                excerpt.Append(char.IsControl(c) ? ' ' : c);
            }

            if (end < _text.Length)
            {
                excerpt.Append(Ellipsis);
            }

            var caret = index - start + (start > 0 ? Ellipsis.Length : 0);
            _error = message + "\n  " + excerpt + "\n  " + new string(' ', caret) + "^";
            return false;
        }
    }
}
