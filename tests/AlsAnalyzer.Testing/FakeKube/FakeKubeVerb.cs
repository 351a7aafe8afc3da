namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>The read verbs the fake API server serves (RBAC names them the same way).</summary>
public enum FakeKubeVerb
{
    /// <summary>A collection GET without <c>watch</c>.</summary>
    List,

    /// <summary>A collection GET with <c>watch=true</c> (or <c>watch=1</c>).</summary>
    Watch,

    /// <summary>A GET of one object by name.</summary>
    Get,
}
