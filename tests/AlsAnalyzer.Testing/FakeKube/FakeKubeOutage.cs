namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>How <see cref="FakeKubeApiServer.DownAsync"/> makes the API server unavailable.</summary>
public enum FakeKubeOutage
{
    /// <summary>Stop listening: new connections are refused (ECONNREFUSED), open ones are cut.</summary>
    Refuse,

    /// <summary>Keep listening but answer every request <c>503 ServiceUnavailable</c> with a Status body; open watches are cut.</summary>
    Unavailable,
}
