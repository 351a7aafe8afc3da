using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace AlsAnalyzer.Core.Kubernetes;

/// <summary>
/// Names the service of a pod in k8s-mesh mode: literal text interleaved with <c>${...}</c> segments, each a list
/// of alternatives of which the first non-empty one wins.
/// </summary>
/// <remarks>
/// <para>Grammar (whitespace around the whole template is ignored; <c>ws</c> is any run of white space):</para>
/// <code>
/// template    = { literal | segment }                 ; at least one segment
/// literal     = 1*( any character except "$" "{" "}" )
/// segment     = "${" ws alternative *( ws "," ws alternative ) ws "}"
/// alternative = path | quoted                         ; a quoted literal only as the last alternative
/// quoted      = "'" 1*( any character except "'" ) "'"  ; not blank
/// path        = "pod.metadata.name" | "pod.metadata.namespace"
///             | "pod.metadata.labels" key | "pod.metadata.annotations" key
///             | "pod.spec.serviceAccountName" | "pod.spec.nodeName" | "pod.workload"
///             | "service.metadata.name" | "service.metadata.namespace"
///             | "service.metadata.labels" key | "service.metadata.annotations" key
/// key         = "." 1*( letter | digit | "-" | "_" )
///             | "['" 1*( letter | digit | "-" | "_" | "." | "/" ) "']"
/// </code>
/// <para>An alternative resolves to the field's value; a missing label or annotation, and every <c>service.*</c>
/// path when no service is chosen for the pod, resolve to empty. A blank value (only white space) counts as empty.
/// A segment's value is its first non-empty alternative, else empty.</para>
/// <para>Literal text never dangles next to an empty segment. Empty segments are left out and the non-empty
/// values joined: literal text between two segments separates values and is written only when a value was
/// already written and the segment right after it is non-empty; literal text before the first segment and after
/// the last is written only when at least one segment is non-empty. So
/// <c>${a}-${b}</c> gives <c>a-b</c>, <c>a</c>, <c>b</c> or empty, and <c>${a}-${b}.${c}</c> with <c>b</c> empty
/// gives <c>a.c</c> (the separator right before a value is used).</para>
/// </remarks>
internal sealed partial class ServiceNameTemplate
{
    /// <summary>The established default: canonical name, else app.kubernetes.io/name, else app, else the service, else the workload.</summary>
    public const string Default = "${pod.metadata.labels['service.istio.io/canonical-name'], pod.metadata.labels['app.kubernetes.io/name'], pod.metadata.labels.app, service.metadata.name, pod.workload}";

    private const int StackBufferLength = 256;

    private readonly string _prefix;
    private readonly Segment[] _segments;
    private readonly string _suffix;

    private ServiceNameTemplate(string text, string prefix, Segment[] segments, string suffix)
    {
        Text = text;
        _prefix = prefix;
        _segments = segments;
        _suffix = suffix;
    }

    /// <summary>Where an alternative takes its value from.</summary>
    private enum Source : byte
    {
        PodName,
        PodNamespace,
        PodLabel,
        PodAnnotation,
        PodServiceAccount,
        PodNodeName,
        PodWorkload,
        ServiceName,
        ServiceNamespace,
        ServiceLabel,
        ServiceAnnotation,
        Literal,
    }

    /// <summary>The template as given.</summary>
    public string Text { get; }

    /// <summary>
    /// Parses <paramref name="text"/>. On failure <paramref name="error"/> says what is wrong, at which 1-based
    /// character position, and what was expected, followed by an excerpt of the template with a caret under the
    /// position. Never throws.
    /// </summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out ServiceNameTemplate? template, out string error)
    {
        var parser = new Parser(text ?? string.Empty);
        if (!parser.TryParse(out var prefix, out var segments, out var suffix, out error))
        {
            template = null;
            return false;
        }

        template = new ServiceNameTemplate(text!, prefix, segments, suffix);
        return true;
    }

    /// <summary>Evaluates for a pod and (optionally) the service chosen for it. Returns "" when the result is empty.</summary>
    public string Evaluate(PodRecord pod, ServiceRecord? service)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var segments = _segments;
        if (segments.Length == 1 && _prefix.Length == 0 && _suffix.Length == 0)
        {
            // The common shape (the default): the value is a string the records already hold.
            return segments[0].Resolve(pod, service);
        }

        var builder = new DefaultInterpolatedStringHandler(0, 0, null, stackalloc char[StackBufferLength]);
        builder.AppendLiteral(_prefix);
        string? only = null;
        var count = 0;
        foreach (var segment in segments)
        {
            var value = segment.Resolve(pod, service);
            if (value.Length == 0)
            {
                continue;
            }

            if (count > 0)
            {
                builder.AppendLiteral(segment.Separator);
            }

            builder.AppendLiteral(value);
            only = value;
            count++;
        }

        if (count == 0)
        {
            builder.Clear();
            return string.Empty;
        }

        if (count == 1 && _prefix.Length == 0 && _suffix.Length == 0)
        {
            builder.Clear();
            return only!;
        }

        builder.AppendLiteral(_suffix);
        return builder.ToStringAndClear();
    }

    public override string ToString() => Text;

    private static string Lookup(IReadOnlyDictionary<string, string> map, string key) =>
        map.TryGetValue(key, out var value) ? value ?? string.Empty : string.Empty;

    /// <summary>One alternative of a segment: a field (with the label or annotation key) or a quoted literal (in <see cref="Key"/>).</summary>
    private readonly record struct Alternative(Source Source, string Key)
    {
        public string Resolve(PodRecord pod, ServiceRecord? service) => Source switch
        {
            Source.PodName => pod.Name,
            Source.PodNamespace => pod.Namespace,
            Source.PodLabel => Lookup(pod.Labels, Key),
            Source.PodAnnotation => Lookup(pod.Annotations, Key),
            Source.PodServiceAccount => pod.ServiceAccount,
            Source.PodNodeName => pod.NodeName,
            Source.PodWorkload => pod.Workload,
            Source.ServiceName => service?.Name,
            Source.ServiceNamespace => service?.Namespace,
            Source.ServiceLabel => service is null ? null : Lookup(service.Labels, Key),
            Source.ServiceAnnotation => service is null ? null : Lookup(service.Annotations, Key),
            Source.Literal => Key,
            _ => null,
        } ?? string.Empty;
    }

    /// <summary>A compiled <c>${...}</c> segment and the literal text written before it when it separates two values.</summary>
    private sealed class Segment(string separator, Alternative[] alternatives)
    {
        private readonly Alternative[] _alternatives = alternatives;

        public string Separator { get; } = separator;

        public string Resolve(PodRecord pod, ServiceRecord? service)
        {
            foreach (var alternative in _alternatives)
            {
                var value = alternative.Resolve(pod, service);
                if (!string.IsNullOrWhiteSpace(value))
                {
                    return value;
                }
            }

            return string.Empty;
        }
    }
}
