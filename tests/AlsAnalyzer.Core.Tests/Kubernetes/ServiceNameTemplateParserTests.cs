using AlsAnalyzer.Core.Kubernetes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static AlsAnalyzer.Core.Tests.Kubernetes.ServiceNameTemplateArrange;

namespace AlsAnalyzer.Core.Tests.Kubernetes;

/// <summary>Parsing a template: what it accepts, and an error that points at the problem for what it does not.</summary>
public sealed class ServiceNameTemplateParserTests
{
    private static readonly string[] Tokens =
    [
        "${", "$", "{", "}", ",", " ", "'", "[", "]", "['", "']", ".", "/", "-", "\n", "\"",
        "pod", "service", "svc", "metadata", "spec", "labels", "annotations", "name", "namespace", "workload",
        "serviceAccountName", "nodeName", "app", "app.kubernetes.io/name", "unknown", "x", "Pod", "lables",
    ];

    [Fact]
    public void TryParse_ValidTemplate_KeepsTheTextAndNoError()
    {
        // Act
        var ok = ServiceNameTemplate.TryParse(Versioned, out var template, out var error);

        // Assert
        Assert.True(ok, error);
        Assert.NotNull(template);
        Assert.Equal(Versioned, template.Text);
        Assert.Equal(Versioned, template.ToString());
        Assert.Equal(string.Empty, error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\n\t ")]
    public void TryParse_EmptyTemplate_Fails(string text)
    {
        // Act
        var ok = ServiceNameTemplate.TryParse(text, out var template, out var error);

        // Assert
        Assert.False(ok);
        Assert.Null(template);
        Assert.StartsWith("empty template", error, StringComparison.Ordinal);
    }

    [Theory]
    // Unknown fields and objects, with the valid choices and a hint for near misses.
    [InlineData("${pod.metadata.lables.app}", 16, "unknown field 'pod.metadata.lables'", "(did you mean 'pod.metadata.labels'?); expected one of: pod.metadata.name, pod.metadata.namespace, pod.metadata.labels.<key>, pod.metadata.annotations.<key>")]
    [InlineData("${pod.spec.serviceaccountname}", 12, "unknown field 'pod.spec.serviceaccountname'", "did you mean 'pod.spec.serviceAccountName'?")]
    [InlineData("${pod.status.phase}", 7, "unknown field 'pod.status'", "expected one of: pod.metadata.name, pod.metadata.namespace, pod.metadata.labels.<key>, pod.metadata.annotations.<key>, pod.spec.serviceAccountName, pod.spec.nodeName, pod.workload")]
    [InlineData("${svc.metadata.name}", 3, "unknown object 'svc'", "expected one of: pod, service")]
    [InlineData("${Pod.workload}", 3, "unknown object 'Pod'", "did you mean 'pod'?")]
    [InlineData("${pod.metadata}", 15, "incomplete path 'pod.metadata'", "expected one of: pod.metadata.name")]
    [InlineData("${pod}", 6, "incomplete path 'pod'", "expected one of: pod.metadata.name")]
    [InlineData("${pod.}", 7, "unexpected '}' after 'pod.'", "expected one of: pod.metadata.name")]
    [InlineData("${pod.workload.name}", 15, "unexpected '.' after 'pod.workload'", "expected ',' or '}'")]
    [InlineData("${pod.metadata.name-x}", 20, "unexpected '-' after 'pod.metadata.name'", "expected ',' or '}'")]
    [InlineData("${\"pod.workload\"}", 3, "unexpected '\"'", "a literal in single quotes")]
    // Keys.
    [InlineData("${pod.metadata.labels}", 22, "missing key", "expected .<key> or ['<key>']")]
    [InlineData("${pod.metadata.labels.}", 23, "missing key", "pod.metadata.labels['<key>']")]
    [InlineData("${pod.metadata.labels.app.kubernetes.io/name}", 26, "'.' in the key 'app.kubernetes.io/name'", "pod.metadata.labels['app.kubernetes.io/name']")]
    [InlineData("${service.metadata.annotations.example.com/x}", 39, "'.' in the key 'example.com/x'", "service.metadata.annotations['example.com/x']")]
    [InlineData("${pod.metadata.labels[app]}", 23, "after 'pod.metadata.labels['", "expected a key in single quotes")]
    [InlineData("${pod.metadata.labels['']}", 23, "empty key", "between the quotes")]
    [InlineData("${pod.metadata.labels['a b']}", 25, "invalid character U+0020 in key", "expected letters, digits")]
    [InlineData("${pod.metadata.labels['app'}", 28, "unexpected '}' after the key", "expected ']'")]
    [InlineData("${pod.metadata.labels['app}", 23, "unterminated quote", "expected a closing")]
    // Segments and alternatives.
    [InlineData("${pod.metadata.labels.app", 1, "unterminated ${", "expected '}'")]
    [InlineData("app-${pod.workload", 5, "unterminated ${", "expected '}'")]
    [InlineData("${}", 3, "empty alternative", "expected a path")]
    [InlineData("${pod.workload,}", 16, "empty alternative", "expected a path")]
    [InlineData("${ , pod.workload}", 4, "empty alternative", "expected a path")]
    [InlineData("${pod.workload, , pod.metadata.name}", 17, "empty alternative", "expected a path")]
    [InlineData("${pod.workload, 'unknown}", 17, "unterminated quote", "expected a closing")]
    [InlineData("${''}", 3, "empty literal", "expected text between the quotes")]
    [InlineData("${'unknown', pod.workload}", 12, "unexpected ',' after the literal 'unknown'", "must be the last alternative")]
    [InlineData("${'a\nb', pod.workload}", 8, "unexpected ',' after the literal 'a b'", "must be the last alternative")]
    [InlineData("${pod.metadata.labels.app, ${pod.workload}}", 28, "nested '${'", "segments cannot be nested")]
    [InlineData("${pod.workload ${pod.metadata.name}}", 16, "nested '${'", "segments cannot be nested")]
    // Literal text.
    [InlineData("app-$pod", 5, "'$' not followed by '{'", "expected '${'")]
    [InlineData("${pod.workload}$", 16, "'$' not followed by '{'", "expected '${'")]
    [InlineData("{pod.workload}", 1, "'{' outside a segment", "expected '${'")]
    [InlineData("${pod.workload}}", 16, "unmatched '}'", "expected literal text or '${'")]
    [InlineData("reviews", 1, "no ${...} segment", "expected at least one")]
    [InlineData("  ${pod.workload,}", 18, "empty alternative", "expected a path")]
    public void TryParse_InvalidTemplate_FailsAtThePositionWithCaretAndExpectation(string text, int position, string problem, string expectation)
    {
        // Act
        var ok = ServiceNameTemplate.TryParse(text, out var template, out var error);

        // Assert
        Assert.False(ok);
        Assert.Null(template);
        AssertError(text, error, position, problem, expectation);
    }

    [Fact]
    public void TryParse_ErrorFarIntoALongTemplate_ExcerptKeepsTheCaretUnderTheProblem()
    {
        // Arrange
        var text = ServiceNameTemplate.Default.Replace("pod.workload", "pod.wrkload", StringComparison.Ordinal) + "-${pod.metadata.labels.version}";
        var position = text.IndexOf("wrkload", StringComparison.Ordinal) + 1;

        // Act
        var ok = ServiceNameTemplate.TryParse(text, out _, out var error);

        // Assert
        Assert.False(ok);
        AssertError(text, error, position, "unknown field 'pod.wrkload'", "(did you mean 'pod.workload'?)");
        Assert.Contains("  ...", error, StringComparison.Ordinal);
    }

    [Property(MaxTest = 2000)]
    public void TryParse_RandomString_NeverThrows(string text)
    {
        // Act
        var ok = ServiceNameTemplate.TryParse(text, out var template, out var error);

        // Assert
        Assert.Equal(ok, template is not null);
        Assert.Equal(ok, error.Length == 0);
        if (!ok && !string.IsNullOrWhiteSpace(text))
        {
            Assert.Equal(3, error.Split('\n').Length);
        }
    }

    [Property(MaxTest = 2000)]
    public Property TryParse_RandomTemplateLikeText_NeverThrowsAndEitherEvaluatesOrPointsAtTheProblem()
    {
        var texts = Gen.Elements(Tokens).ListOf().Select(parts => string.Concat(parts)).ToArbitrary();
        return Prop.ForAll(texts, text =>
        {
            // Act
            var ok = ServiceNameTemplate.TryParse(text, out var template, out var error);

            // Assert
            if (ok)
            {
                Assert.NotNull(template);
                Assert.NotNull(template.Evaluate(FullPod(), ReviewsService));
                Assert.NotNull(template.Evaluate(Pod([]), service: null));
            }
            else if (!string.IsNullOrWhiteSpace(text))
            {
                Assert.Contains("at position ", error, StringComparison.Ordinal);
                Assert.Equal(3, error.Split('\n').Length);
            }
        });
    }

    /// <summary>The message names the problem, the position and the expectation; the caret under the excerpt marks that character.</summary>
    private static void AssertError(string text, string error, int position, string problem, string expectation)
    {
        Assert.Contains(problem, error, StringComparison.Ordinal);
        Assert.Contains($"at position {position}", error, StringComparison.Ordinal);
        Assert.Contains(expectation, error, StringComparison.Ordinal);
        var lines = error.Split('\n');
        Assert.Equal(3, lines.Length);
        var excerpt = lines[1][2..];
        var caret = lines[2][2..];
        Assert.Equal(caret.Length - 1, caret.IndexOf('^', StringComparison.Ordinal));
        Assert.Equal(text[position - 1], excerpt[caret.Length - 1]);
    }
}
