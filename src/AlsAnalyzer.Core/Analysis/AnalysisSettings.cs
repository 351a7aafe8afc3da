namespace AlsAnalyzer.Core.Analysis;

/// <summary>What the entry analysis needs from configuration.</summary>
internal sealed record AnalysisSettings
{
    /// <summary>Minutes of history kept; older entries are rejected as outside retention.</summary>
    public int RetentionMinutes { get; init; } = 60;

    /// <summary>How far an entry's time may lie ahead of this server's clock.</summary>
    public TimeSpan MaxFutureSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>IPs kept interned as external node names (past it, each is named per entry).</summary>
    public int MaxIpNames { get; init; } = 200_000;

    /// <summary>Bytes the IP name table holds at most (past it, or past <see cref="MaxIpNames"/>, it starts empty again).</summary>
    public long MaxIpNameBytes { get; init; } = long.MaxValue;

    /// <summary>Callers named by their certificate's SPIFFE identity kept for the next entry (past it, or past <see cref="MaxCertificateCallerBytes"/>, the cache starts empty again).</summary>
    public int MaxCertificateCallers { get; init; } = 200_000;

    /// <summary>Bytes the certificate caller cache holds at most.</summary>
    public long MaxCertificateCallerBytes { get; init; } = long.MaxValue;
    /// <summary>Open TCP connections tracked across all streams (the memory budget's share).</summary>
    public TcpConnectionBudget TcpConnections { get; init; } = TcpConnectionBudget.Unlimited;

    /// <summary>The analyzer chain for HTTP entries, in order.</summary>
    public IReadOnlyList<IPeerAnalyzer> HttpAnalyzers { get; init; } = [new MxMeshAnalyzer()];

    /// <summary>The analyzer chain for TCP entries, in order.</summary>
    public IReadOnlyList<IPeerAnalyzer> TcpAnalyzers { get; init; } = [new MxMeshAnalyzer()];
}
