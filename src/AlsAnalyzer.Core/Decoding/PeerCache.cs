using AlsAnalyzer.Core.Peers;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// Peer metadata decoded once per distinct payload. A mesh has one peer metadata blob per
/// workload instance, repeated in every entry that names it, so the fast path hashes the
/// bytes and finds the decoded peer instead of parsing a Struct or FlatBuffer each time.
/// Bounded: past the capacity, payloads are decoded without caching.
/// </summary>
internal sealed class PeerCache : ICountedTable
{
    private readonly ByteKeyTable<Decoded> _structs;
    private readonly ByteKeyTable<Decoded> _flatNodes;
    private readonly InternTable? _names;
    private readonly ByteKeyTable<Decoded>.Factory _decodeStruct;
    private readonly ByteKeyTable<Decoded>.Factory _decodeFlatNode;

    /// <param name="capacity">Payloads of each encoding kept at most.</param>
    /// <param name="maxBytes">Bytes both encodings' tables hold at most, half each.</param>
    /// <param name="names">Where a decoded peer's names are interned (the pipeline's strings), so that the pods of one workload share them.</param>
    public PeerCache(int capacity, long maxBytes = long.MaxValue, InternTable? names = null)
    {
        _names = names;
        _decodeStruct = value => Decode(PeerMetadataReader.DecodeStruct(value, out var peer), peer);
        _decodeFlatNode = value => Decode(PeerMetadataReader.DecodeFlatNode(value, out var peer), peer);
        // Keys over the budget are rejected before the lookup; the cap only makes that explicit.
        _structs = new(capacity, maxBytes / 2, PeerBudget.MaxBytes + 8, Decoded.Bytes);
        _flatNodes = new(capacity, maxBytes / 2, PeerBudget.MaxBytes + 8, Decoded.Bytes);
    }

    public int Count => _structs.Count + _flatNodes.Count;

    /// <summary>Peer payloads of each encoding kept at most.</summary>
    public int Capacity => _structs.Capacity;

    public long Bytes => _structs.Bytes + _flatNodes.Bytes;

    public long ByteCapacity => _structs.ByteCapacity + _flatNodes.ByteCapacity;

    public long Overflow => _structs.Overflow + _flatNodes.Overflow;

    public long Resets => _structs.Resets + _flatNodes.Resets;

    public long TooLong => _structs.TooLong + _flatNodes.TooLong;

    /// <summary>A <c>google.protobuf.Struct</c> (Istio &gt;= 1.24) from an Any's value bytes.</summary>
    public (PeerDecodeStatus Status, PeerInfo? Peer) Struct(ReadOnlySpan<byte> value)
    {
        // Over budget: rejected without hashing or keeping the bytes (the same answer each time).
        if (value.Length > PeerBudget.MaxBytes)
        {
            return (PeerDecodeStatus.TooLarge, null);
        }

        var d = _structs.GetOrAdd(value, _decodeStruct);
        return (d.Status, d.Peer);
    }

    /// <summary>A <c>BytesValue</c> holding a FlatNode (Istio &lt;= 1.23) from an Any's value bytes.</summary>
    public (PeerDecodeStatus Status, PeerInfo? Peer) FlatNode(ReadOnlySpan<byte> value)
    {
        if (value.Length > PeerBudget.MaxBytes + 8)
        {
            return (PeerDecodeStatus.TooLarge, null);
        }

        var d = _flatNodes.GetOrAdd(value, _decodeFlatNode);
        return (d.Status, d.Peer);
    }

    private Decoded Decode(PeerDecodeStatus status, PeerInfo? peer)
    {
        if (status != PeerDecodeStatus.Decoded)
        {
            return Decoded.Failed(status);
        }

        if (_names is { } names && peer is not null)
        {
            peer = peer with
            {
                Namespace = names.Intern(peer.Namespace),
                Service = names.Intern(peer.Service),
                Workload = names.Intern(peer.Workload),
                Version = names.Intern(peer.Version),
                Cluster = names.Intern(peer.Cluster),
            };
        }

        return new(status, peer);
    }

    private sealed record Decoded(PeerDecodeStatus Status, PeerInfo? Peer)
    {
        private static readonly Decoded[] FailedByStatus = [.. Enum.GetValues<PeerDecodeStatus>().Select(s => new Decoded(s, null))];

        public static Decoded Failed(PeerDecodeStatus status) => FailedByStatus[(int)status];

        /// <summary>The peer's strings and objects (shared failure values hold nothing).</summary>
        public static long Bytes(Decoded d) => d.Peer is not { } p
            ? 0
            : 160 + DecodeLimits.StringBytes(p.Namespace) + DecodeLimits.StringBytes(p.Service) + DecodeLimits.StringBytes(p.Workload)
                + DecodeLimits.StringBytes(p.Instance) + DecodeLimits.StringBytes(p.Version) + DecodeLimits.StringBytes(p.Cluster);
    }
}
