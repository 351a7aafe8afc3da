using AlsAnalyzer.Core.Model;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Hosting;

/// <summary>
/// Registers each subsystem's settings type: bound from the flat <c>Als</c> section
/// (<c>Als__MaxEdgesPerMinute</c>, the documented names) and then from its nested section
/// (<c>Als__Aggregation__MaxEdgesPerMinute</c>, which wins), validated by the type itself.
/// <see cref="ValidateAll"/> checks every registered type at start-up and reports all problems
/// in one exception.
/// </summary>
internal static class AlsSettings
{
    public const string Root = "Als";

    public static IServiceCollection AddAlsSettings<T>(this IServiceCollection services, IConfiguration configuration)
        where T : class, ISettings, new()
    {
        var catalog = Catalog(services);
        if (catalog.Types.Contains(typeof(T)))
        {
            return services;
        }

        catalog.Types.Add(typeof(T));
        catalog.Checks.Add(sp => Failures(() => _ = sp.GetRequiredService<IOptions<T>>().Value));
        services.AddOptions<T>().Configure(o =>
        {
            configuration.GetSection(Root).Bind(o);
            configuration.GetSection($"{Root}:{T.Section}").Bind(o);
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>, SettingsValidator<T>>());
        return services;
    }

    /// <summary>Builds every registered settings type; throws one exception naming every problem found.</summary>
    public static void ValidateAll(IServiceProvider services)
    {
        var catalog = services.GetRequiredService<SettingsCatalog>();
        var failures = catalog.Checks.SelectMany(check => check(services)).ToList();
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Root, typeof(ISettings), failures);
        }
    }

    /// <summary>The settings types registered so far, in registration order.</summary>
    public static IReadOnlyList<Type> Registered(IServiceProvider services) => services.GetRequiredService<SettingsCatalog>().Types;

    private static IEnumerable<string> Failures(Action build)
    {
        try
        {
            build();
            return [];
        }
        catch (OptionsValidationException ex)
        {
            return ex.Failures;
        }
        catch (InvalidOperationException ex) when (ex.InnerException is FormatException or OverflowException or ArgumentException)
        {
            // The binder could not convert a value (Als:GrpcPort=abc): its message names the key and the type.
            return [ex.Message];
        }
    }

    private static SettingsCatalog Catalog(IServiceCollection services)
    {
        if (services.FirstOrDefault(d => d.ServiceType == typeof(SettingsCatalog))?.ImplementationInstance is SettingsCatalog existing)
        {
            return existing;
        }

        var catalog = new SettingsCatalog();
        services.AddSingleton(catalog);
        return catalog;
    }

    /// <summary>
    /// SkyWalking's environment variables name the same analyzer chains; they apply when our
    /// own settings (<c>Als__HttpAnalyzers</c>, <c>Als__TcpAnalyzers</c>) are not given.
    /// </summary>
    internal static void AddSkyWalkingAliases(ConfigurationManager configuration, Func<string, string?> environment)
    {
        var aliases = new Dictionary<string, string?>();
        foreach (var (alias, key) in new[] { ("SW_ENVOY_METRIC_ALS_HTTP_ANALYSIS", "Als:HttpAnalyzers"), ("SW_ENVOY_METRIC_ALS_TCP_ANALYSIS", "Als:TcpAnalyzers") })
        {
            var value = environment(alias);
            if (!string.IsNullOrWhiteSpace(value) && string.IsNullOrWhiteSpace(configuration[key]))
            {
                aliases[key] = value;
            }
        }

        if (aliases.Count > 0)
        {
            configuration.AddInMemoryCollection(aliases);
        }
    }

    private sealed class SettingsCatalog
    {
        public List<Type> Types { get; } = [];

        public List<Func<IServiceProvider, IEnumerable<string>>> Checks { get; } = [];
    }

    private sealed class SettingsValidator<T> : IValidateOptions<T>
        where T : class, ISettings
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var errors = new SettingErrors();
            options.Validate(errors);
            return errors.All.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.All);
        }
    }
}
