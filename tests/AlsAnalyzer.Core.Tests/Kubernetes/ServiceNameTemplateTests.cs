using AlsAnalyzer.Core.Kubernetes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace AlsAnalyzer.Core.Tests.Kubernetes;

public sealed class ServiceNameTemplateTests
{
    private const string Canonical = "service.istio.io/canonical-name";
    private const string AppName = "app.kubernetes.io/name";
    private const string Versioned = "${pod.metadata.labels['service.istio.io/canonical-name'], pod.metadata.labels.app}-${pod.metadata.labels.version}";

    private static readonly ServiceRecord ReviewsService = new()
    {
        Name = "reviews-svc",
        Namespace = "bookinfo",
        Labels = new Dictionary<string, string> { ["tier"] = "backend", ["app.kubernetes.io/part-of"] = "bookinfo" },
        Annotations = new Dictionary<string, string> { ["owner"] = "team-a", ["example.com/display"] = "Reviews" },
    };

    private static readonly string[] Tokens =
    [
        "${", "$", "{", "}", ",", " ", "'", "[", "]", "['", "']", ".", "/", "-", "\n", "\"",
        "pod", "service", "svc", "metadata", "spec", "labels", "annotations", "name", "namespace", "workload",
        "serviceAccountName", "nodeName", "app", "app.kubernetes.io/name", "unknown", "x", "Pod", "lables",
    ];

    [Theory]
    [InlineData(true, true, true, true, "reviews-canonical")]
    [InlineData(false, true, true, true, "reviews-k8s")]
    [InlineData(false, false, true, true, "reviews-app")]
    [InlineData(false, false, false, true, "reviews-svc")]
    [InlineData(false, false, false, false, "reviews-v1")]
    [InlineData(true, false, false, false, "reviews-canonical")]
    [InlineData(false, true, false, false, "reviews-k8s")]
    public void Evaluate_DefaultTemplate_PrefersCanonicalThenNameThenAppThenServiceThenWorkload(
        bool canonical, bool appName, bool app, bool withService, string expected)
    {
        // Arrange
        var labels = new Dictionary<string, string>();
        if (canonical)
        {
            labels[Canonical] = "reviews-canonical";
        }

        if (appName)
        {
            labels[AppName] = "reviews-k8s";
        }

        if (app)
        {
            labels["app"] = "reviews-app";
        }

        var template = Parse(ServiceNameTemplate.Default);

        // Act
        var name = template.Evaluate(Pod(labels), withService ? ReviewsService : null);

        // Assert
        Assert.Equal(expected, name);
    }

    [Fact]
    public void Evaluate_DefaultTemplateWithNothingToGoBy_ReturnsEmpty()
    {
        // Arrange
        var template = Parse(ServiceNameTemplate.Default);
        var pod = Pod([]) with { Workload = string.Empty };

        // Act
        var name = template.Evaluate(pod, service: null);

        // Assert
        Assert.Equal(string.Empty, name);
    }

    [Fact]
    public void Evaluate_DefaultTemplateWithBlankCanonicalLabel_FallsThroughToApp()
    {
        // Arrange
        var template = Parse(ServiceNameTemplate.Default);
        var pod = Pod(new Dictionary<string, string> { [Canonical] = "  ", ["app"] = "reviews" });

        // Act
        var name = template.Evaluate(pod, service: null);

        // Assert
        Assert.Equal("reviews", name);
    }

    [Fact]
    public void Evaluate_DefaultTemplate_ReturnsTheLabelValueWithoutAllocating()
    {
        // Arrange
        var template = Parse(ServiceNameTemplate.Default);
        var pod = Pod(new Dictionary<string, string> { [Canonical] = "reviews" });
        template.Evaluate(pod, ReviewsService);

        // Act
        var before = GC.GetAllocatedBytesForCurrentThread();
        var name = template.Evaluate(pod, ReviewsService);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Assert
        Assert.Same(pod.Labels[Canonical], name);
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData("${pod.metadata.name}", "reviews-v1-7d9f-abcde")]
    [InlineData("${pod.metadata.namespace}", "bookinfo")]
    [InlineData("${pod.spec.serviceAccountName}", "bookinfo-reviews")]
    [InlineData("${pod.spec.nodeName}", "node-3")]
    [InlineData("${pod.workload}", "reviews-v1")]
    [InlineData("${pod.metadata.labels.app}", "reviews")]
    [InlineData("${pod.metadata.labels['app']}", "reviews")]
    [InlineData("${pod.metadata.labels['app.kubernetes.io/name']}", "reviews-k8s")]
    [InlineData("${pod.metadata.labels['topology.kubernetes.io/zone']}", "zone-a")]
    [InlineData("${pod.metadata.annotations.team}", "payments")]
    [InlineData("${pod.metadata.annotations['example.com/service-name']}", "reviews-annotated")]
    [InlineData("${service.metadata.name}", "reviews-svc")]
    [InlineData("${service.metadata.namespace}", "bookinfo")]
    [InlineData("${service.metadata.labels.tier}", "backend")]
    [InlineData("${service.metadata.labels['app.kubernetes.io/part-of']}", "bookinfo")]
    [InlineData("${service.metadata.annotations.owner}", "team-a")]
    [InlineData("${service.metadata.annotations['example.com/display']}", "Reviews")]
    [InlineData("${pod.metadata.namespace}/${pod.workload}", "bookinfo/reviews-v1")]
    [InlineData("svc:${service.metadata.name}", "svc:reviews-svc")]
    [InlineData("${pod.workload}.${pod.metadata.namespace}.mesh", "reviews-v1.bookinfo.mesh")]
    [InlineData("${pod.metadata.labels.app}${pod.metadata.labels.version}", "reviewsv1")]
    public void Evaluate_EachPath_ResolvesTheField(string text, string expected)
    {
        // Arrange
        var template = Parse(text);

        // Act
        var name = template.Evaluate(FullPod(), ReviewsService);

        // Assert
        Assert.Equal(expected, name);
    }

    [Theory]
    [InlineData("${service.metadata.name}")]
    [InlineData("${service.metadata.namespace}")]
    [InlineData("${service.metadata.labels.tier}")]
    [InlineData("${service.metadata.annotations['example.com/display']}")]
    [InlineData("${pod.metadata.labels.missing}")]
    [InlineData("${pod.metadata.annotations['example.com/missing']}")]
    public void Evaluate_ValueMissingOrNoService_ReturnsEmpty(string text)
    {
        // Arrange
        var template = Parse(text);

        // Act
        var name = template.Evaluate(FullPod(), service: null);

        // Assert
        Assert.Equal(string.Empty, name);
    }

    [Fact]
    public void Evaluate_ServicePathWithoutService_FallsThroughToNextAlternative()
    {
        // Arrange
        var template = Parse("${service.metadata.name, pod.workload}");

        // Act
        var withService = template.Evaluate(FullPod(), ReviewsService);
        var withoutService = template.Evaluate(FullPod(), service: null);

        // Assert
        Assert.Equal("reviews-svc", withService);
        Assert.Equal("reviews-v1", withoutService);
    }

    [Theory]
    [InlineData("${pod.metadata.labels.missing, 'unknown'}", "unknown")]
    [InlineData("${pod.metadata.labels.app, 'unknown'}", "reviews")]
    [InlineData("${ pod.metadata.labels.missing ,'unknown service' }", "unknown service")]
    [InlineData("${'fixed'}-${pod.metadata.labels.version}", "fixed-v1")]
    public void Evaluate_QuotedLiteralAlternative_IsTheLastResort(string text, string expected)
    {
        // Arrange
        var template = Parse(text);

        // Act
        var name = template.Evaluate(FullPod(), ReviewsService);

        // Assert
        Assert.Equal(expected, name);
    }

    [Fact]
    public void Evaluate_WhiteSpaceAroundAlternativesAndTemplate_IsIgnored()
    {
        // Arrange
        var template = Parse("  \n${\tpod.metadata.labels.missing ,\n  pod.metadata.labels.app\t}-${ pod.metadata.labels.version }  \n");

        // Act
        var name = template.Evaluate(FullPod(), ReviewsService);

        // Assert
        Assert.Equal("reviews-v1", name);
    }

    [Fact]
    public void Evaluate_VersionedVariantWithVersion_JoinsNameAndVersion()
    {
        // Arrange
        var template = Parse(Versioned);
        var pod = Pod(new Dictionary<string, string> { [Canonical] = "reviews", ["version"] = "v2" });

        // Act
        var name = template.Evaluate(pod, ReviewsService);

        // Assert
        Assert.Equal("reviews-v2", name);
    }

    [Fact]
    public void Evaluate_VersionedVariantWithoutVersion_DropsTheDanglingSeparator()
    {
        // Arrange
        var template = Parse(Versioned);
        var pod = Pod(new Dictionary<string, string> { ["app"] = "reviews" });

        // Act
        var name = template.Evaluate(pod, ReviewsService);

        // Assert
        Assert.Equal("reviews", name);
    }

    [Fact]
    public void Evaluate_VersionedVariantWithOnlyVersion_DropsTheLeadingSeparator()
    {
        // Arrange
        var template = Parse(Versioned);
        var pod = Pod(new Dictionary<string, string> { ["version"] = "v1" });

        // Act
        var name = template.Evaluate(pod, ReviewsService);

        // Assert
        Assert.Equal("v1", name);
    }

    [Fact]
    public void Evaluate_VersionedVariantWithNeither_ReturnsEmpty()
    {
        // Arrange
        var template = Parse(Versioned);

        // Act
        var name = template.Evaluate(Pod([]), ReviewsService);

        // Assert
        Assert.Equal(string.Empty, name);
    }

    [Theory]
    [InlineData("a", "b", "c", "a-b.c")]
    [InlineData("a", "", "c", "a.c")]
    [InlineData("", "b", "c", "b.c")]
    [InlineData("a", "b", "", "a-b")]
    [InlineData("", "", "c", "c")]
    [InlineData("", "", "", "")]
    public void Evaluate_EmptyMiddleOrOuterSegments_JoinsOnlyNonEmptyValuesWithTheSeparatorBeforeEach(string a, string b, string c, string expected)
    {
        // Arrange
        var template = Parse("${pod.metadata.labels.a}-${pod.metadata.labels.b}.${pod.metadata.labels.c}");
        var pod = Pod(new Dictionary<string, string> { ["a"] = a, ["b"] = b, ["c"] = c });

        // Act
        var name = template.Evaluate(pod, service: null);

        // Assert
        Assert.Equal(expected, name);
    }

    [Theory]
    [InlineData("reviews", "", "mesh:reviews.svc")]
    [InlineData("", "v1", "mesh:v1.svc")]
    [InlineData("", "", "")]
    public void Evaluate_PrefixAndSuffix_WrittenOnlyWhenSomeSegmentIsNonEmpty(string app, string version, string expected)
    {
        // Arrange
        var template = Parse("mesh:${pod.metadata.labels.app}-${pod.metadata.labels.version}.svc");
        var pod = Pod(new Dictionary<string, string> { ["app"] = app, ["version"] = version });

        // Act
        var name = template.Evaluate(pod, service: null);

        // Assert
        Assert.Equal(expected, name);
    }

    [Fact]
    public void Evaluate_ResultLongerThanTheStackBuffer_IsComplete()
    {
        // Arrange
        var longValue = new string('x', 600);
        var template = Parse("${pod.metadata.labels.a}-${pod.metadata.labels.b}");
        var pod = Pod(new Dictionary<string, string> { ["a"] = longValue, ["b"] = longValue });

        // Act
        var name = template.Evaluate(pod, service: null);

        // Assert
        Assert.Equal(longValue + "-" + longValue, name);
    }

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

    private static ServiceNameTemplate Parse(string text)
    {
        Assert.True(ServiceNameTemplate.TryParse(text, out var template, out var error), error);
        return template;
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

    private static PodRecord Pod(Dictionary<string, string> labels) => new()
    {
        Name = "reviews-v1-7d9f-abcde",
        Namespace = "bookinfo",
        Labels = labels,
        Workload = "reviews-v1",
        WorkloadKind = "Deployment",
    };

    private static PodRecord FullPod() => Pod(new Dictionary<string, string>
    {
        ["app"] = "reviews",
        ["version"] = "v1",
        [AppName] = "reviews-k8s",
        ["topology.kubernetes.io/zone"] = "zone-a",
    }) with
    {
        ServiceAccount = "bookinfo-reviews",
        NodeName = "node-3",
        Annotations = new Dictionary<string, string> { ["team"] = "payments", ["example.com/service-name"] = "reviews-annotated" },
    };
}
