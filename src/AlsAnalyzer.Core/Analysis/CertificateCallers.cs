using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Analysis;

/// <summary>
/// Callers named by the SPIFFE identity of their client certificate, by that identity: a mesh
/// has a bounded set of them, so each is split once. Bounded in keys and bytes as
/// <see cref="BoundedStringCache{T}"/> (identities longer than <see cref="DecodeLimits.MaxKeyBytes"/>
/// were folded by the decoder already).
/// </summary>
internal sealed class CertificateCallers(int capacity, long maxBytes = long.MaxValue) : BoundedStringCache<NodeRef>(capacity, maxBytes)
{
    /// <summary>The caller <paramref name="identity"/> names (<see cref="EntryAnalyzer.SpiffeCaller"/>), kept for the next entry while the bounds allow.</summary>
    public NodeRef Get(string identity) => GetOrCreate(identity);

    protected override NodeRef Create(string key) => EntryAnalyzer.SpiffeCaller(key);

    // The node's namespace and service account, copied out of the identity.
    protected override long ValueBytes(NodeRef value) => DecodeLimits.StringBytes(value.Namespace) + DecodeLimits.StringBytes(value.Name);
}
