using Xunit;

namespace AlsAnalyzer.Conformance.Tests;

/// <summary>
/// Our protos/ against the official Envoy v3 API and Prometheus client model, name for name and
/// number for number.
/// </summary>
public sealed class OfficialSchemaTests(ProtoSchemas schemas)
{
    private const string AccessLogV3Path = "/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs";
    private const string AccessLogV2Path = "/envoy.service.accesslog.v2.AccessLogService/StreamAccessLogs";
    private const string MetricsV3Path = "/envoy.service.metrics.v3.MetricsService/StreamMetrics";
    private const string MetricsV2Path = "/envoy.service.metrics.v2.MetricsService/StreamMetrics";

    [Fact]
    public void OurDeclarations_ComparedWithOfficialSchema_AllExistWithSameNumbersTypesLabelsAndOneofs()
    {
        // Arrange
        var comparer = new SchemaComparer(schemas.Ours, schemas.Official);

        // Act
        var mismatches = comparer.CompareDeclarations();

        // Assert
        Assert.Contains(schemas.Ours.File, file => file.Name == "envoy/data/accesslog/v3/accesslog.proto");
        Assert.Contains(schemas.Ours.File, file => file.Name == ProtoSchemas.PrometheusProto);
        ConformanceAssert.None(mismatches, $"declarations that differ from {Sources}");
    }

    // Each file of ours on its own, so that one that goes missing (or declares nothing) fails here
    // instead of silently dropping out of the comparison above.
    [Theory]
    [InlineData("envoy/config/core/v3/address.proto")]
    [InlineData("envoy/config/core/v3/base.proto")]
    [InlineData("envoy/data/accesslog/v3/accesslog.proto")]
    [InlineData("envoy/service/accesslog/v3/als.proto")]
    [InlineData("envoy/service/accesslog/v2/als.proto")]
    [InlineData("io/prometheus/client/metrics.proto")]
    [InlineData("envoy/service/metrics/v3/metrics_service.proto")]
    [InlineData("envoy/service/metrics/v2/metrics_service.proto")]
    public void OurFile_ComparedWithOfficialFileAtSamePath_DeclaresSomethingAndMatchesIt(string file)
    {
        // Arrange
        var comparer = new SchemaComparer(schemas.Ours, schemas.Official);
        var ours = Assert.Single(schemas.Ours.File, candidate => candidate.Name == file);
        Assert.Contains(schemas.Official.File, candidate => candidate.Name == file);

        // Act
        var mismatches = comparer.CompareDeclarations(file);

        // Assert
        Assert.True(ours.MessageType.Count + ours.EnumType.Count + ours.Service.Count > 0, $"{file} declares nothing to compare");
        ConformanceAssert.None(mismatches, $"declarations of {file} that differ from {Sources}");
    }

    [Fact]
    public void OurPrometheusClientModel_ComparedWithOfficialDebianFile_IsProto2LikeIt()
    {
        // Arrange
        var ours = Assert.Single(schemas.Ours.File, file => file.Name == ProtoSchemas.PrometheusProto);

        // Act
        var official = Assert.Single(schemas.Official.File, file => file.Name == ProtoSchemas.PrometheusProto);

        // Assert: protoc leaves proto2's syntax empty. The official file is the real client model
        // (not some stand-in), and ours keeps its proto2 presence and labels.
        Assert.Equal("", official.Syntax);
        Assert.Equal(official.Syntax, ours.Syntax);
        Assert.Contains(official.MessageType, message => message.Name == "MetricFamily");
    }

    [Theory]
    [InlineData(AccessLogV3Path)]
    [InlineData(AccessLogV2Path)]
    [InlineData(MetricsV3Path)]
    [InlineData(MetricsV2Path)]
    public void ServiceMethod_ComparedWithOfficial_HasSamePathAndIsClientStreaming(string path)
    {
        // Arrange
        var ours = SchemaComparer.FindMethod(schemas.Ours, path);

        // Act
        var official = SchemaComparer.FindMethod(schemas.Official, path);

        // Assert
        Assert.True(official.ClientStreaming);
        Assert.False(official.ServerStreaming);
        Assert.Equal(official.ClientStreaming, ours.ClientStreaming);
        Assert.Equal(official.ServerStreaming, ours.ServerStreaming);
    }

    [Theory]
    [InlineData(AccessLogV3Path)]
    [InlineData(MetricsV3Path)]
    public void V3ServiceMethod_ComparedWithOfficial_TakesAndReturnsTheOfficialMessages(string path)
    {
        // Arrange
        var ours = SchemaComparer.FindMethod(schemas.Ours, path);

        // Act
        var official = SchemaComparer.FindMethod(schemas.Official, path);

        // Assert
        Assert.Equal(official.InputType, ours.InputType);
        Assert.Equal(official.OutputType, ours.OutputType);
    }

    private string Sources =>
        $"{ProtoSchemas.OfficialPackage} ({schemas.OfficialVersion}) and {ProtoSchemas.PrometheusProto} from {schemas.OfficialPrometheusVersion}";
}
