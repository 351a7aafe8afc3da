using Xunit;

namespace AlsAnalyzer.Conformance.Tests;

/// <summary>Our protos/ against the official Envoy v3 API, name for name and number for number.</summary>
public sealed class OfficialSchemaTests(ProtoSchemas schemas)
{
    private const string V3Path = "/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs";
    private const string V2Path = "/envoy.service.accesslog.v2.AccessLogService/StreamAccessLogs";

    [Fact]
    public void OurDeclarations_ComparedWithOfficialSchema_AllExistWithSameNumbersTypesLabelsAndOneofs()
    {
        // Arrange
        var comparer = new SchemaComparer(schemas.Ours, schemas.Official);

        // Act
        var mismatches = comparer.CompareDeclarations();

        // Assert
        Assert.Contains(schemas.Ours.File, file => file.Name == "envoy/data/accesslog/v3/accesslog.proto");
        ConformanceAssert.None(mismatches, $"declarations that differ from {ProtoSchemas.OfficialPackage} ({schemas.OfficialVersion})");
    }

    [Theory]
    [InlineData(V3Path)]
    [InlineData(V2Path)]
    public void AccessLogServiceMethod_ComparedWithOfficial_HasSamePathAndIsClientStreaming(string path)
    {
        // Arrange
        var ours = SchemaComparer.FindMethod(schemas.Ours, path);

        // Act
        var official = SchemaComparer.FindMethod(schemas.Official, path);

        // Assert
        Assert.True(official.ClientStreaming);
        Assert.Equal(official.ClientStreaming, ours.ClientStreaming);
        Assert.Equal(official.ServerStreaming, ours.ServerStreaming);
    }

    [Fact]
    public void V3AccessLogServiceMethod_ComparedWithOfficial_TakesAndReturnsTheOfficialMessages()
    {
        // Arrange
        var ours = SchemaComparer.FindMethod(schemas.Ours, V3Path);

        // Act
        var official = SchemaComparer.FindMethod(schemas.Official, V3Path);

        // Assert
        Assert.Equal(official.InputType, ours.InputType);
        Assert.Equal(official.OutputType, ours.OutputType);
    }
}
