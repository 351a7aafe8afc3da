namespace AlsAnalyzer.Core.Model;

/// <summary>
/// The settings of one subsystem. Each type owns its defaults, documentation and checks; the
/// host binds it from the <c>Als</c> configuration section (flat keys, <c>Als__GrpcPort</c>)
/// and from <c>Als:{Section}</c> (nested keys, which win), and validates every settings type
/// at start-up so that all problems are reported at once.
/// </summary>
internal interface ISettings
{
    /// <summary>The nested section under <c>Als</c> that may hold this subsystem's settings.</summary>
    static abstract string Section { get; }

    /// <summary>Adds every problem with these values to <paramref name="errors"/>.</summary>
    void Validate(SettingErrors errors);
}
