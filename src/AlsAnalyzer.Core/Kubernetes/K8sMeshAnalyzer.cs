using AlsAnalyzer.Core.Kubernetes;
using AlsAnalyzer.Core.Peers;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Kubernetes;

/// <summary>
/// <c>k8s-mesh</c>: the peer from its IP, through the Kubernetes index. The caller is the
/// downstream direct remote address (the physical peer), else the downstream remote address;
/// the callee is the upstream remote address. An IP the watch has not delivered yet is
/// unknown now and resolves once the index has it.
/// </summary>
internal sealed class K8sMeshAnalyzer(Func<KubernetesIndex> index) : IPeerAnalyzer
{
    public const string AnalyzerName = AnalysisOptions.K8sMesh;

    public string Name => AnalyzerName;

    public PeerInfo? Identify(ref EntryFacts facts, PeerPosition position, IngestTally tally)
    {
        var ip = position == PeerPosition.Downstream
            ? CanonicalIp(facts.DownstreamDirectRemoteIp, facts.DownstreamRemoteIp)
            : facts.UpstreamRemoteIp;
        return index().Lookup(ip);
    }

    public PeerInfo? IdentifyAddress(string ip) => index().Lookup(ip);

    public PeerInfo? IdentifyAddress(IpText ip) => index().Lookup(ip);

    public NodeRef? NameExternal(string host, IpText ip) => index().ServiceEntries.Find(host, ip);

    private static IpText CanonicalIp(IpText direct, IpText remote) => direct.IsEmpty ? remote : direct;
}
