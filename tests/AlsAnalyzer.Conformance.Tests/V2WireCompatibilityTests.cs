using Google.Protobuf.Reflection;
using Xunit;

namespace AlsAnalyzer.Conformance.Tests;

/// <summary>
/// Our v2 services are declared over our v3 messages: they must read what a v2 Envoy sends, i.e.
/// every field we declare has, at the same position in the official v2 messages, either the same
/// number with the same wire type, or nothing at all.
/// </summary>
public sealed class V2WireCompatibilityTests(ProtoSchemas schemas)
{
    private const string AccessLogV2Path = "/envoy.service.accesslog.v2.AccessLogService/StreamAccessLogs";
    private const string MetricsV2Path = "/envoy.service.metrics.v2.MetricsService/StreamMetrics";

    // Declared by us, absent from the official v2 messages: v2 Envoys never send them.
    private static readonly Dictionary<string, string[]> ExpectedV3Only = new()
    {
        [AccessLogV2Path] =
        [
            "envoy.data.accesslog.v3.AccessLogCommon.custom_tags",
            "envoy.data.accesslog.v3.AccessLogCommon.duration",
            "envoy.data.accesslog.v3.AccessLogCommon.upstream_request_attempt_count",
            "envoy.data.accesslog.v3.AccessLogCommon.connection_termination_details",
            "envoy.data.accesslog.v3.AccessLogCommon.stream_id",
            "envoy.data.accesslog.v3.AccessLogCommon.intermediate_log_entry",
            "envoy.data.accesslog.v3.AccessLogCommon.downstream_transport_failure_reason",
            "envoy.data.accesslog.v3.AccessLogCommon.downstream_wire_bytes_sent",
            "envoy.data.accesslog.v3.AccessLogCommon.downstream_wire_bytes_received",
            "envoy.data.accesslog.v3.AccessLogCommon.upstream_wire_bytes_sent",
            "envoy.data.accesslog.v3.AccessLogCommon.upstream_wire_bytes_received",
            "envoy.data.accesslog.v3.AccessLogCommon.access_log_type",
            "envoy.data.accesslog.v3.ResponseFlags.upstream_max_stream_duration_reached",
            "envoy.data.accesslog.v3.ResponseFlags.response_from_cache_filter",
            "envoy.data.accesslog.v3.ResponseFlags.no_filter_config_found",
            "envoy.data.accesslog.v3.ResponseFlags.duration_timeout",
            "envoy.data.accesslog.v3.ResponseFlags.upstream_protocol_error",
            "envoy.data.accesslog.v3.ResponseFlags.no_cluster_found",
            "envoy.data.accesslog.v3.ResponseFlags.overload_manager",
            "envoy.data.accesslog.v3.ResponseFlags.dns_resolution_failure",
            "envoy.data.accesslog.v3.ResponseFlags.downstream_remote_reset",
            "envoy.data.accesslog.v3.TLSProperties.CertificateProperties.issuer",
        ],

        // v2 and v3 carry the same io.prometheus.client.MetricFamily, which the walk compares
        // field by field with the official one: nothing of ours is v3 only.
        [MetricsV2Path] = [],
    };

    // Official v2 types the package does not ship (see ProtoSchemas), so not compared: our
    // envoy.config.core.v3 Node, Address (and what it holds) and RequestMethod are checked against
    // v3 only. Should the package start shipping envoy/api/v2, these sets become empty and the walk
    // compares them too.
    private static readonly Dictionary<string, string[]> ExpectedUnverified = new()
    {
        [AccessLogV2Path] =
        [
            "envoy.api.v2.core.Address",
            "envoy.api.v2.core.Node",
            "envoy.api.v2.core.RequestMethod",
        ],
        [MetricsV2Path] = ["envoy.api.v2.core.Node"],
    };

    [Theory]
    [InlineData(AccessLogV2Path)]
    [InlineData(MetricsV2Path)]
    public void V2Request_OurV3MessageWalkedAgainstOfficialV2_HasNoWireMismatch(string v2Path)
    {
        // Arrange
        var comparer = new SchemaComparer(schemas.Ours, schemas.Official, schemas.PlaceholderFiles);

        // Act
        var request = CompareV2(comparer, v2Path, method => method.InputType);
        var response = CompareV2(comparer, v2Path, method => method.OutputType);

        // Assert
        ConformanceAssert.None([.. request.Mismatches, .. response.Mismatches], "fields that a v2 Envoy sends with another wire type");
        Assert.Empty(response.AbsentOfficially);
    }

    [Theory]
    [InlineData(AccessLogV2Path)]
    [InlineData(MetricsV2Path)]
    public void V2Request_OurV3MessageWalkedAgainstOfficialV2_DeclaresExactlyTheExpectedV3OnlyFields(string v2Path)
    {
        // Arrange
        var comparer = new SchemaComparer(schemas.Ours, schemas.Official, schemas.PlaceholderFiles);

        // Act
        var request = CompareV2(comparer, v2Path, method => method.InputType);

        // Assert
        ConformanceAssert.SameItems(ExpectedV3Only[v2Path], request.AbsentOfficially, "our fields and enum values absent from the official v2 messages");
    }

    [Theory]
    [InlineData(AccessLogV2Path)]
    [InlineData(MetricsV2Path)]
    public void V2Request_OurV3MessageWalkedAgainstOfficialV2_LeavesOnlyTheUnshippedV2CoreTypesUnverified(string v2Path)
    {
        // Arrange
        var comparer = new SchemaComparer(schemas.Ours, schemas.Official, schemas.PlaceholderFiles);

        // Act
        var request = CompareV2(comparer, v2Path, method => method.InputType);

        // Assert
        ConformanceAssert.SameItems(ExpectedUnverified[v2Path], request.Unverified, "official v2 types left unverified");
    }

    [Fact]
    public void V2MetricsRequest_OurV3MessageWalkedAgainstOfficialV2_ReachesThePrometheusTypes()
    {
        // Arrange
        var comparer = new SchemaComparer(schemas.Ours, schemas.Official, schemas.PlaceholderFiles);

        // Act
        var request = CompareV2(comparer, MetricsV2Path, method => method.InputType);

        // Assert
        Assert.Contains(("io.prometheus.client.Bucket", "io.prometheus.client.Bucket"), request.Compared);
        Assert.Contains(("io.prometheus.client.MetricType", "io.prometheus.client.MetricType"), request.Compared);
    }

    private WireComparison CompareV2(SchemaComparer comparer, string v2Path, Func<MethodDescriptorProto, string> type) =>
        comparer.CompareWire(
            type(SchemaComparer.FindMethod(schemas.Ours, v2Path)),
            type(SchemaComparer.FindMethod(schemas.Official, v2Path)));
}
