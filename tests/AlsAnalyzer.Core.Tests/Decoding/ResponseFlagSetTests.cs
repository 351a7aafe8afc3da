using Envoy.Data.Accesslog.V3;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Tests.Decoding;

public sealed class ResponseFlagSetTests
{
    /// <summary>Every field of <c>envoy.data.accesslog.v3.ResponseFlags</c>: name, number, Envoy's short name.</summary>
    private static readonly (string Field, int Number, string ShortName)[] Flags =
    [
        ("failed_local_healthcheck", 1, "LH"),
        ("no_healthy_upstream", 2, "UH"),
        ("upstream_request_timeout", 3, "UT"),
        ("local_reset", 4, "LR"),
        ("upstream_remote_reset", 5, "UR"),
        ("upstream_connection_failure", 6, "UF"),
        ("upstream_connection_termination", 7, "UC"),
        ("upstream_overflow", 8, "UO"),
        ("no_route_found", 9, "NR"),
        ("delay_injected", 10, "DI"),
        ("fault_injected", 11, "FI"),
        ("rate_limited", 12, "RL"),
        ("unauthorized_details", 13, "UAEX"),
        ("rate_limit_service_error", 14, "RLSE"),
        ("downstream_connection_termination", 15, "DC"),
        ("upstream_retry_limit_exceeded", 16, "URX"),
        ("stream_idle_timeout", 17, "SI"),
        ("invalid_envoy_request_headers", 18, "IH"),
        ("downstream_protocol_error", 19, "DPE"),
        ("upstream_max_stream_duration_reached", 20, "UMSDR"),
        ("response_from_cache_filter", 21, "RFCF"),
        ("no_filter_config_found", 22, "NFCF"),
        ("duration_timeout", 23, "DT"),
        ("upstream_protocol_error", 24, "UPE"),
        ("no_cluster_found", 25, "NC"),
        ("overload_manager", 26, "OM"),
        ("dns_resolution_failure", 27, "DF"),
        ("downstream_remote_reset", 28, "DR"),
    ];

    public static TheoryData<string, int, string> AllFlags => new(Flags);

    [Fact]
    public void AllFlags_CoverEveryResponseFlagsField()
    {
        // Assert
        Assert.Equal(ResponseFlagSet.Count, Flags.Length);
        Assert.Equal(ResponseFlagSet.Count, ResponseFlags.Descriptor.Fields.InFieldNumberOrder().Count);
    }

    [Theory]
    [MemberData(nameof(AllFlags))]
    public void From_SingleFlag_SetsOnlyBitOfFieldNumberMinusOne(string field, int number, string shortName)
    {
        // Arrange
        var flags = Single(field, number);

        // Act
        var bits = ResponseFlagSet.From(flags);

        // Assert
        Assert.Equal(1u << (number - 1), bits);
        Assert.Equal(shortName, ResponseFlagSet.ShortName(number - 1));
    }

    [Theory]
    [MemberData(nameof(AllFlags))]
    public void Format_SingleFlag_EnvoyShortName(string field, int number, string shortName)
    {
        // Act
        var text = ResponseFlagSet.Format(ResponseFlagSet.From(Single(field, number)));

        // Assert
        Assert.Equal(shortName, text);
    }

    [Theory]
    [MemberData(nameof(AllFlags))]
    public void IsFailure_SingleFlag_FalseOnlyForDelayInjectedAndCacheResponse(string field, int number, string shortName)
    {
        // Act
        var failure = ResponseFlagSet.IsFailure(ResponseFlagSet.From(Single(field, number)));

        // Assert
        Assert.Equal(shortName is not ("DI" or "RFCF"), failure);
    }

    [Fact]
    public void From_Null_Zero()
    {
        // Act
        var bits = ResponseFlagSet.From(null);

        // Assert
        Assert.Equal(0u, bits);
        Assert.False(ResponseFlagSet.IsFailure(bits));
    }

    [Fact]
    public void From_EmptyMessage_Zero()
    {
        // Act
        var bits = ResponseFlagSet.From(new ResponseFlags());

        // Assert
        Assert.Equal(0u, bits);
    }

    [Fact]
    public void From_EveryFlag_AllTwentyEightBits()
    {
        // Arrange
        var flags = new ResponseFlags();
        foreach (var (field, _, _) in Flags)
        {
            Set(flags, field);
        }

        // Act
        var bits = ResponseFlagSet.From(flags);

        // Assert
        Assert.Equal((1u << 28) - 1, bits);
        Assert.Equal(string.Join(',', Flags.Select(f => f.ShortName)), ResponseFlagSet.Format(bits));
    }

    [Fact]
    public void Format_NoFlags_Dash()
    {
        // Act
        var text = ResponseFlagSet.Format(0);

        // Assert
        Assert.Equal("-", text);
    }

    [Fact]
    public void Format_SeveralFlags_CommaSeparatedInFieldOrder()
    {
        // Arrange
        var flags = new ResponseFlags { UpstreamRetryLimitExceeded = true, UpstreamConnectionFailure = true, DelayInjected = true };

        // Act
        var text = ResponseFlagSet.Format(ResponseFlagSet.From(flags));

        // Assert
        Assert.Equal("UF,DI,URX", text);
    }

    [Fact]
    public void IsFailure_DelayInjectedWithFailure_True()
    {
        // Arrange
        var flags = new ResponseFlags { DelayInjected = true, ResponseFromCacheFilter = true, UpstreamRequestTimeout = true };

        // Act
        var failure = ResponseFlagSet.IsFailure(ResponseFlagSet.From(flags));

        // Assert
        Assert.True(failure);
    }

    [Fact]
    public void FailureMask_OnlyDefinedBits()
    {
        // Assert
        Assert.Equal(0u, ResponseFlagSet.FailureMask & ~((1u << ResponseFlagSet.Count) - 1));
        Assert.Equal(ResponseFlagSet.Count - 2, System.Numerics.BitOperations.PopCount(ResponseFlagSet.FailureMask));
    }

    private static ResponseFlags Single(string field, int number)
    {
        Assert.Equal(number, ResponseFlags.Descriptor.FindFieldByName(field).FieldNumber);
        var flags = new ResponseFlags();
        Set(flags, field);
        return flags;
    }

    private static void Set(ResponseFlags flags, string field)
    {
        var descriptor = ResponseFlags.Descriptor.FindFieldByName(field);
        object value = descriptor.FieldType == Google.Protobuf.Reflection.FieldType.Message
            ? new ResponseFlags.Types.Unauthorized { Reason = ResponseFlags.Types.Unauthorized.Types.Reason.ExternalService }
            : true;
        descriptor.Accessor.SetValue(flags, value);
    }
}
