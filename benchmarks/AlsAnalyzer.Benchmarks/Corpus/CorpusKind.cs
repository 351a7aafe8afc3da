namespace AlsAnalyzer.Benchmarks.Corpus;

/// <summary>The two corpora: the same traffic with and without Istio's peer metadata.</summary>
internal enum CorpusKind
{
    /// <summary>Istio &gt;= 1.24 sidecars: Struct peer metadata in filter state (what mx-mesh reads), about 1 KB per entry.</summary>
    IstioMx,

    /// <summary>The same entries without filter state (what k8s-mesh sees), about 350-450 B per entry.</summary>
    K8sPlain,
}

internal static class CorpusKinds
{
    public const string IstioMxName = "istio-mx";
    public const string K8sPlainName = "k8s-plain";

    public static IReadOnlyList<string> Names { get; } = [IstioMxName, K8sPlainName];

    public static string Name(this CorpusKind kind) => kind == CorpusKind.IstioMx ? IstioMxName : K8sPlainName;

    public static CorpusKind Parse(string name) => name switch
    {
        IstioMxName => CorpusKind.IstioMx,
        K8sPlainName => CorpusKind.K8sPlain,
        _ => throw new ArgumentException($"unknown corpus '{name}' (expected {IstioMxName} or {K8sPlainName})", nameof(name)),
    };
}
