using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Kubernetes;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Server.Kubernetes;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Hosting;

/// <summary>
/// Builds the analyzer chains the settings name (k8s-mesh reads the Kubernetes cache's current
/// index), and checks them against whether that cache is on.
/// </summary>
internal sealed class AnalyzerChains(IOptions<KubernetesOptions> kubernetesOptions, KubeEnvironment environment) : IValidateOptions<AnalysisOptions>
{
    /// <summary>The entry analysis' settings: the chains, the accepted time range, and the bound of its name table.</summary>
    public static AnalysisSettings Settings(AnalysisOptions analysis, AggregationOptions aggregation, DecodingOptions decoding, KubernetesCache kubernetes) => new()
    {
        RetentionMinutes = aggregation.RetentionMinutes,
        MaxFutureSkew = TimeSpan.FromSeconds(analysis.MaxFutureSkewSeconds),
        MaxIpNames = decoding.MaxInternedStrings,
        MaxIpNameBytes = decoding.TableBytes(DecodeTableNames.IpNames),
        MaxCertificateCallers = decoding.MaxInternedStrings,
        MaxCertificateCallerBytes = decoding.TableBytes(DecodeTableNames.CertificateCallers),
        HttpAnalyzers = Build(analysis.HttpAnalyzers, kubernetes),
        TcpAnalyzers = Build(analysis.TcpAnalyzers, kubernetes),
    };

    /// <summary>The analyzer chain a setting names, in order; an empty setting picks the default for the Kubernetes mode.</summary>
    public static IReadOnlyList<IPeerAnalyzer> Build(string setting, KubernetesCache kubernetes) =>
        AnalysisOptions.EffectiveNames(setting, kubernetes.Enabled)
            .Select(name => name == AnalysisOptions.K8sMesh ? new K8sMeshAnalyzer(() => kubernetes.Current) : (IPeerAnalyzer)new MxMeshAnalyzer())
            .ToList();

    public ValidateOptionsResult Validate(string? name, AnalysisOptions options)
    {
        bool kubernetes;
        try
        {
            kubernetes = KubeconfigResolver.Enabled(kubernetesOptions.Value, environment);
        }
        catch (OptionsValidationException)
        {
            // Reported with the Kubernetes settings; the chains are checked as if the cache were off.
            kubernetes = false;
        }

        var errors = new SettingErrors();
        options.ValidateChains(errors, kubernetes);
        return errors.All.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.All);
    }
}
