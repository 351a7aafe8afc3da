using AlsAnalyzer.Core.Kubernetes;
using static AlsAnalyzer.Core.Tests.Kubernetes.ServiceNameTemplateArrange;

namespace AlsAnalyzer.Core.Tests.Kubernetes;

/// <summary>What a parsed template evaluates to for a pod and its service.</summary>
public sealed class ServiceNameTemplateTests
{
    private const string Canonical = "service.istio.io/canonical-name";

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

    private static ServiceNameTemplate Parse(string text)
    {
        Assert.True(ServiceNameTemplate.TryParse(text, out var template, out var error), error);
        return template;
    }
}
