using System.Net;
using AlsAnalyzer.Core.Analysis;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Hosting;

/// <summary>Validates every setting at start-up and reports all problems at once.</summary>
internal sealed class AlsOptionsValidator : IValidateOptions<AlsOptions>
{
    public ValidateOptionsResult Validate(string? name, AlsOptions o)
    {
        var errors = new List<string>();
        if (o.ListenAddress != "*" && !IPAddress.TryParse(o.ListenAddress, out _))
        {
            errors.Add($"Als:ListenAddress '{o.ListenAddress}' is neither '*' nor an IP address.");
        }

        Port(errors, nameof(o.GrpcPort), o.GrpcPort);
        Port(errors, nameof(o.HttpPort), o.HttpPort);
        if (o.GrpcPort != 0 && o.GrpcPort == o.HttpPort)
        {
            errors.Add($"Als:GrpcPort and Als:HttpPort are both {o.GrpcPort}; gRPC needs an HTTP/2-only endpoint of its own.");
        }

        Range(errors, nameof(o.MaxReceiveMessageBytes), o.MaxReceiveMessageBytes, 1024, 256 * 1024 * 1024);
        Range(errors, nameof(o.MaxStreamsPerConnection), o.MaxStreamsPerConnection, 1, 1_000_000);
        Range(errors, nameof(o.PrefaceTimeoutSeconds), o.PrefaceTimeoutSeconds, 1, 3600);
        Range(errors, nameof(o.RetentionMinutes), o.RetentionMinutes, 1, 7 * 24 * 60);
        Range(errors, nameof(o.MaxFutureSkewSeconds), o.MaxFutureSkewSeconds, 0, 24 * 3600);
        Range(errors, nameof(o.CollectIntervalMilliseconds), o.CollectIntervalMilliseconds, 10, 60_000);
        Range(errors, nameof(o.DefaultQueryMinutes), o.DefaultQueryMinutes, 1, 7 * 24 * 60);
        Range(errors, nameof(o.MaxEdgesPerMinute), o.MaxEdgesPerMinute, 1, 10_000_000);
        Range(errors, nameof(o.MaxEndpointsPerService), o.MaxEndpointsPerService, 1, 1_000_000);
        Range(errors, nameof(o.MaxInstancesPerMinute), o.MaxInstancesPerMinute, 1, 10_000_000);
        Range(errors, nameof(o.MaxProxies), o.MaxProxies, 1, 10_000_000);
        Range(errors, nameof(o.MaxStatsPerProxy), o.MaxStatsPerProxy, 1, 1_000_000);
        Range(errors, nameof(o.ProxyExpiryMinutes), o.ProxyExpiryMinutes, 1, 7 * 24 * 60);
        Analyzers(errors, nameof(o.HttpAnalyzers), o.HttpAnalyzers);
        Analyzers(errors, nameof(o.TcpAnalyzers), o.TcpAnalyzers);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>The analyzer chain a setting names, in order. Unknown names are validation errors.</summary>
    public static IReadOnlyList<IPeerAnalyzer> BuildChain(string setting)
    {
        var chain = new List<IPeerAnalyzer>();
        foreach (var name in SplitNames(setting))
        {
            if (name == MxMeshAnalyzer.AnalyzerName)
            {
                chain.Add(new MxMeshAnalyzer());
            }
        }

        return chain;
    }

    private static string[] SplitNames(string setting) =>
        setting.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void Analyzers(List<string> errors, string key, string setting)
    {
        var names = SplitNames(setting ?? string.Empty);
        if (names.Length == 0)
        {
            errors.Add($"Als:{key} is empty; name at least one analyzer (available: {MxMeshAnalyzer.AnalyzerName}).");
        }

        foreach (var name in names)
        {
            if (name != MxMeshAnalyzer.AnalyzerName)
            {
                errors.Add($"Als:{key} names unknown analyzer '{name}' (available: {MxMeshAnalyzer.AnalyzerName}).");
            }
        }

        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
        {
            errors.Add($"Als:{key} names an analyzer twice: '{setting}'.");
        }
    }

    private static void Port(List<string> errors, string key, int value) => Range(errors, key, value, 0, 65535);

    private static void Range(List<string> errors, string key, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            errors.Add($"Als:{key} is {value}; it must be between {min} and {max}.");
        }
    }
}
