namespace AlsAnalyzer.Core.Model;

/// <summary>Which end of a call reported it.</summary>
internal enum ReporterSide : byte
{
    /// <summary>The caller's proxy (outbound sidecar, or a gateway's upstream half).</summary>
    Client,

    /// <summary>The callee's proxy (inbound sidecar, or a gateway's downstream half).</summary>
    Server,
}
