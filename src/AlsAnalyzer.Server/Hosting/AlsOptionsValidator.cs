using System.Net;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Kubernetes;
using AlsAnalyzer.Server.Kubernetes;
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
        Range(errors, nameof(o.MaxInternedStrings), o.MaxInternedStrings, 0, 10_000_000);
        Range(errors, nameof(o.MaxInternedEndpoints), o.MaxInternedEndpoints, 0, 10_000_000);
        Range(errors, nameof(o.MaxCachedPeers), o.MaxCachedPeers, 0, 10_000_000);
        Range(errors, nameof(o.MaxProxies), o.MaxProxies, 1, 10_000_000);
        Range(errors, nameof(o.MaxStatsPerProxy), o.MaxStatsPerProxy, 1, 1_000_000);
        Range(errors, nameof(o.ProxyExpiryMinutes), o.ProxyExpiryMinutes, 1, 7 * 24 * 60);
        Range(errors, nameof(o.KubernetesStaleAfterSeconds), o.KubernetesStaleAfterSeconds, 1, 86_400);
        Range(errors, nameof(o.KubernetesWatchTimeoutSeconds), o.KubernetesWatchTimeoutSeconds, 1, 3600);
        Range(errors, nameof(o.KubernetesBackoffInitialMilliseconds), o.KubernetesBackoffInitialMilliseconds, 1, 600_000);
        Range(errors, nameof(o.KubernetesBackoffMaxSeconds), o.KubernetesBackoffMaxSeconds, 1, 3600);
        if (o.IngestMode is not ("analyze" or "reference" or "discard"))
        {
            errors.Add($"Als:IngestMode is '{o.IngestMode}'; it must be analyze, reference or discard.");
        }

        if (o.Kubernetes is not ("auto" or "on" or "off"))
        {
            errors.Add($"Als:Kubernetes is '{o.Kubernetes}'; it must be auto, on or off.");
        }

        if (o.KubeconfigPath.Length > 0 && !File.Exists(o.KubeconfigPath))
        {
            errors.Add($"Als:KubeconfigPath '{o.KubeconfigPath}' does not exist.");
        }

        if (!ServiceNameTemplate.TryParse(o.ServiceNameTemplate, out _, out var templateError))
        {
            errors.Add($"Als:ServiceNameTemplate is invalid: {templateError}");
        }

        var kubernetes = o.Kubernetes is "auto" or "on" or "off" && KubernetesCache.IsEnabled(o);
        Analyzers(errors, nameof(o.HttpAnalyzers), o.HttpAnalyzers, kubernetes);
        Analyzers(errors, nameof(o.TcpAnalyzers), o.TcpAnalyzers, kubernetes);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>The analyzer chain a setting names, in order; an empty setting picks the default for the Kubernetes mode.</summary>
    public static IReadOnlyList<IPeerAnalyzer> BuildChain(string setting, KubernetesCache kubernetes)
    {
        var chain = new List<IPeerAnalyzer>();
        foreach (var name in EffectiveNames(setting, kubernetes.Enabled))
        {
            chain.Add(name == K8sMeshAnalyzer.AnalyzerName ? new K8sMeshAnalyzer(() => kubernetes.Current) : new MxMeshAnalyzer());
        }

        return chain;
    }

    /// <summary><c>k8s-mesh,mx-mesh</c> when Kubernetes is reachable, else <c>mx-mesh</c>, unless the setting names a chain.</summary>
    public static string[] EffectiveNames(string setting, bool kubernetes)
    {
        var names = SplitNames(setting ?? string.Empty);
        if (names.Length > 0)
        {
            return names;
        }

        return kubernetes ? [K8sMeshAnalyzer.AnalyzerName, MxMeshAnalyzer.AnalyzerName] : [MxMeshAnalyzer.AnalyzerName];
    }

    private static string[] SplitNames(string setting) =>
        setting.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void Analyzers(List<string> errors, string key, string setting, bool kubernetes)
    {
        var names = EffectiveNames(setting, kubernetes);
        var available = $"{K8sMeshAnalyzer.AnalyzerName}, {MxMeshAnalyzer.AnalyzerName}";
        foreach (var name in names)
        {
            if (name is not (K8sMeshAnalyzer.AnalyzerName or MxMeshAnalyzer.AnalyzerName))
            {
                errors.Add($"Als:{key} names unknown analyzer '{name}' (available: {available}).");
            }
            else if (name == K8sMeshAnalyzer.AnalyzerName && !kubernetes)
            {
                errors.Add($"Als:{key} names {K8sMeshAnalyzer.AnalyzerName}, but the Kubernetes cache is off (set Als:Kubernetes=on with a reachable API server, or Als:KubeconfigPath).");
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
