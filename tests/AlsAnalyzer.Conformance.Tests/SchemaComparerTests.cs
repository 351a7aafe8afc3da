using Google.Protobuf.Reflection;
using Xunit;

namespace AlsAnalyzer.Conformance.Tests;

/// <summary>Negative controls: the comparer reports deliberately wrong protos, so the conformance tests can fail.</summary>
public sealed class SchemaComparerTests(ProtoSchemas schemas) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("als-wrong-protos-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task CompareDeclarations_DeliberatelyWrongProtos_ReportsEveryDifferenceAndNothingElse()
    {
        // Arrange
        var wrong = await CompileAsync(
            ("envoy/data/accesslog/v3/wrong.proto", """
                syntax = "proto3";
                package envoy.data.accesslog.v3;

                enum LogLevel { LOG_LEVEL_UNSPECIFIED = 0; }

                message AccessLogSummary {}

                message ConnectionProperties {
                  uint64 received_bytes = 3;
                  string sent_bytes = 2;
                }

                message HTTPAccessLogEntry {
                  ConnectionProperties common_properties = 1;
                }

                message HTTPResponseProperties {
                  repeated string response_code_details = 6;
                }

                message TLSProperties {
                  enum TLSVersion {
                    VERSION_UNSPECIFIED = 0;
                    TLSv1_3 = 3;
                    TLSv2 = 5;
                  }

                  message CertificateProperties {
                    message SubjectAltName {
                      string uri = 1;
                    }
                  }

                  TLSVersion tls_version = 1;
                  string tls_sni_hostname = 3;
                  string tls_fingerprint = 7;
                }
                """),
            ("envoy/service/accesslog/v3/wrong.proto", """
                syntax = "proto3";
                package envoy.service.accesslog.v3;

                message StreamAccessLogsMessage {}
                message StreamAccessLogsResponse {}

                service AccessLogService {
                  rpc StreamAccessLogs(StreamAccessLogsMessage) returns (StreamAccessLogsResponse);
                  rpc FetchAccessLogs(StreamAccessLogsMessage) returns (stream StreamAccessLogsResponse);
                }
                """));
        var comparer = new SchemaComparer(wrong, schemas.Official);

        // Act
        var mismatches = comparer.CompareDeclarations();

        // Assert
        ConformanceAssert.SameItems(
            [
                "envoy.data.accesslog.v3.LogLevel: enum does not exist officially",
                "envoy.data.accesslog.v3.AccessLogSummary: message does not exist officially",
                "envoy.data.accesslog.v3.ConnectionProperties.received_bytes: number is 3, official 1",
                "envoy.data.accesslog.v3.ConnectionProperties.sent_bytes: type is String, official Uint64",
                "envoy.data.accesslog.v3.HTTPAccessLogEntry.common_properties: type_name is .envoy.data.accesslog.v3.ConnectionProperties, official .envoy.data.accesslog.v3.AccessLogCommon",
                "envoy.data.accesslog.v3.HTTPResponseProperties.response_code_details: label is Repeated, official Optional",
                "envoy.data.accesslog.v3.TLSProperties.tls_fingerprint: field does not exist officially",
                "envoy.data.accesslog.v3.TLSProperties.TLSVersion.TLSv1_3: number is 3, official 4",
                "envoy.data.accesslog.v3.TLSProperties.TLSVersion.TLSv2: enum value does not exist officially",
                "envoy.data.accesslog.v3.TLSProperties.CertificateProperties.SubjectAltName.uri: oneof is (none), official san",
                "/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs: client_streaming is False, official True",
                "/envoy.service.accesslog.v3.AccessLogService/FetchAccessLogs: method does not exist officially",
            ],
            mismatches,
            "reported mismatches");
    }

    [Fact]
    public async Task CompareDeclarations_DeliberatelyWrongPrometheusAndMetricsProtos_ReportsEveryDifferenceAndNothingElse()
    {
        // Arrange: proto2 as the official client model, but for a required label, a wrong number,
        // a default and a narrower type; a proto3 file at the official proto2 file's path, whose
        // plain scalar has implicit presence while its proto3 optional one matches; a unary
        // metrics service over the wrong message.
        var wrong = await CompileAsync(
            ("io/prometheus/client/wrong.proto", """
                syntax = "proto2";
                package io.prometheus.client;

                message LabelPair {
                  required string name = 1;
                  optional string value = 3;
                }

                message Gauge {
                  optional double value = 1 [default = 1];
                }

                message Quantile {
                  optional float quantile = 1;
                }

                enum MetricType {
                  COUNTER = 0;
                  GAUGE = 1;
                  HISTOGRAM = 5;
                }

                message Metric {
                  repeated LabelPair label = 1;
                  optional int64 timestamp_ms = 6;
                }
                """),
            ("io/prometheus/client/metrics.proto", """
                syntax = "proto3";
                package io.prometheus.client;

                message Counter {
                  double value = 1;
                }

                message Untyped {
                  optional double value = 1;
                }
                """),
            ("envoy/service/metrics/v3/wrong.proto", """
                syntax = "proto3";
                package envoy.service.metrics.v3;

                import "io/prometheus/client/wrong.proto";

                message StreamMetricsMessage {
                  repeated io.prometheus.client.Metric envoy_metrics = 2;
                }

                message StreamMetricsResponse {}

                service MetricsService {
                  rpc StreamMetrics(StreamMetricsMessage) returns (stream StreamMetricsResponse);
                }
                """));
        var comparer = new SchemaComparer(wrong, schemas.Official);

        // Act
        var mismatches = comparer.CompareDeclarations();

        // Assert
        ConformanceAssert.SameItems(
            [
                "io.prometheus.client.LabelPair.name: label is Required, official Optional",
                "io.prometheus.client.LabelPair.value: number is 3, official 2",
                "io.prometheus.client.Gauge.value: default_value is 1, official (none)",
                "io.prometheus.client.Quantile.quantile: type is Float, official Double",
                "io.prometheus.client.MetricType.HISTOGRAM: number is 5, official 4",
                "io/prometheus/client/metrics.proto: syntax is proto3, official proto2",
                "io.prometheus.client.Counter.value: presence is implicit, official explicit",
                "envoy.service.metrics.v3.StreamMetricsMessage.envoy_metrics: type_name is .io.prometheus.client.Metric, official .io.prometheus.client.MetricFamily",
                "/envoy.service.metrics.v3.MetricsService/StreamMetrics: client_streaming is False, official True",
                "/envoy.service.metrics.v3.MetricsService/StreamMetrics: server_streaming is True, official False",
            ],
            mismatches,
            "reported mismatches");
    }

    [Fact]
    public async Task CompareWire_Proto2FieldsAgainstOfficialV2Metrics_AreReportedRecursivelyPastTheUnshippedNode()
    {
        // Arrange
        var wrong = await CompileAsync(("wrong.proto", """
            syntax = "proto2";
            package alsanalyzer.wrong;

            message Metrics {
              optional Id identifier = 1;
              repeated Family envoy_metrics = 2;
            }

            message Id {
              optional Node node = 1;
            }

            message Node {
              optional string id = 1;
            }

            message Family {
              optional string name = 1;
              optional string type = 3;
              repeated Sample metric = 4;
            }

            message Sample {
              optional Level gauge = 2;
              optional double timestamp_ms = 6;
              optional string not_in_client_model = 99;
            }

            message Level {
              optional float value = 1;
            }
            """));
        var comparer = new SchemaComparer(wrong, schemas.Official, schemas.PlaceholderFiles);

        // Act
        var result = comparer.CompareWire("alsanalyzer.wrong.Metrics", "envoy.service.metrics.v2.StreamMetricsMessage");

        // Assert
        ConformanceAssert.SameItems(
            [
                "alsanalyzer.wrong.Family.type (3): Optional String, official io.prometheus.client.MetricFamily.type is Optional Enum",
                "alsanalyzer.wrong.Sample.timestamp_ms (6): Optional Double, official io.prometheus.client.Metric.timestamp_ms is Optional Int64",
                "alsanalyzer.wrong.Level.value (1): Optional Float, official io.prometheus.client.Gauge.value is Optional Double",
            ],
            result.Mismatches,
            "reported mismatches");
        ConformanceAssert.SameItems(["alsanalyzer.wrong.Sample.not_in_client_model"], result.AbsentOfficially, "fields absent officially");
        ConformanceAssert.SameItems(["envoy.api.v2.core.Node"], result.Unverified, "official types left unverified");
    }

    [Fact]
    public async Task CompareWire_FieldsWithOtherWireTypesAgainstOfficialV2_AreReportedRecursively()
    {
        // Arrange
        var wrong = await CompileAsync(("wrong.proto", """
            syntax = "proto3";
            package alsanalyzer.wrong;

            message TcpEntry {
              string common_properties = 1;
              Connection connection_properties = 2;
            }

            message Connection {
              uint32 received_bytes = 1;
              uint64 sent_bytes = 2;
              repeated uint64 not_in_v2 = 9;
            }
            """));
        var comparer = new SchemaComparer(wrong, schemas.Official);

        // Act
        var result = comparer.CompareWire("alsanalyzer.wrong.TcpEntry", "envoy.data.accesslog.v2.TCPAccessLogEntry");

        // Assert
        ConformanceAssert.SameItems(
            [
                "alsanalyzer.wrong.TcpEntry.common_properties (1): Optional String, official envoy.data.accesslog.v2.TCPAccessLogEntry.common_properties is Optional Message",
                "alsanalyzer.wrong.Connection.received_bytes (1): Optional Uint32, official envoy.data.accesslog.v2.ConnectionProperties.received_bytes is Optional Uint64",
            ],
            result.Mismatches,
            "reported mismatches");
        ConformanceAssert.SameItems(["alsanalyzer.wrong.Connection.not_in_v2"], result.AbsentOfficially, "fields absent officially");
    }

    [Fact]
    public async Task CompareWire_EnumValuesAgainstOfficialV2_ReportsRenamedAndAbsentValues()
    {
        // Arrange
        var wrong = await CompileAsync(("wrong.proto", """
            syntax = "proto3";
            package alsanalyzer.wrong;

            enum Version {
              PROTOCOL_UNSPECIFIED = 0;
              HTTP_1_0 = 1;
              HTTP4 = 7;
            }

            message HttpEntry {
              Version protocol_version = 2;
            }
            """));
        var comparer = new SchemaComparer(wrong, schemas.Official);

        // Act
        var result = comparer.CompareWire("alsanalyzer.wrong.HttpEntry", "envoy.data.accesslog.v2.HTTPAccessLogEntry");

        // Assert
        ConformanceAssert.SameItems(
            ["alsanalyzer.wrong.Version.HTTP_1_0 (1): official envoy.data.accesslog.v2.HTTPAccessLogEntry.HTTPVersion names it HTTP10"],
            result.Mismatches,
            "reported mismatches");
        ConformanceAssert.SameItems(["alsanalyzer.wrong.Version.HTTP4"], result.AbsentOfficially, "enum values absent officially");
    }

    private async Task<FileDescriptorSet> CompileAsync(params (string Path, string Content)[] files)
    {
        foreach (var (path, content) in files)
        {
            var fullPath = Path.Combine(_dir.FullName, path);
            Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
            await File.WriteAllTextAsync(fullPath, content, TestContext.Current.CancellationToken);
        }

        return await schemas.CompileAsync([_dir.FullName], files.Select(file => file.Path));
    }
}
