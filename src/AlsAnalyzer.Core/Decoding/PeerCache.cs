using AlsAnalyzer.Core.Peers;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// Peer metadata decoded once per distinct payload. A mesh has one peer metadata blob per
/// workload instance, repeated in every entry that names it, so the fast path hashes the
/// bytes and finds the decoded peer instead of parsing a Struct or FlatBuffer each time.
/// Bounded: past the capacity, payloads are decoded without caching.
/// </summary>
internal sealed class PeerCache(int capacity) : ICountedTable
{
    private readonly ByteKeyTable<Decoded> _structs = new(capacity);
    private readonly ByteKeyTable<Decoded> _flatNodes = new(capacity);

    public int Count => _structs.Count + _flatNodes.Count;

    /// <summary>Peer payloads of each encoding kept at most.</summary>
    public int Capacity => _structs.Capacity;

    /// <summary>Payloads decoded without being kept because their table was full.</summary>
    public long Overflow => _structs.Overflow + _flatNodes.Overflow;

    /// <summary>A <c>google.protobuf.Struct</c> (Istio &gt;= 1.24) from an Any's value bytes.</summary>
    public (PeerDecodeStatus Status, PeerInfo? Peer) Struct(ReadOnlySpan<byte> value)
    {
        var d = _structs.GetOrAdd(value, DecodeStruct);
        return (d.Status, d.Peer);
    }

    /// <summary>A <c>BytesValue</c> holding a FlatNode (Istio &lt;= 1.23) from an Any's value bytes.</summary>
    public (PeerDecodeStatus Status, PeerInfo? Peer) FlatNode(ReadOnlySpan<byte> value)
    {
        var d = _flatNodes.GetOrAdd(value, DecodeFlatNode);
        return (d.Status, d.Peer);
    }

    private static Decoded DecodeStruct(ReadOnlySpan<byte> value)
    {
        try
        {
            return new(PeerDecodeStatus.Decoded, PeerMetadataReader.FromStruct(Google.Protobuf.WellKnownTypes.Struct.Parser.ParseFrom(value)));
        }
        catch (InvalidProtocolBufferException)
        {
            return Decoded.Invalid;
        }
    }

    private static Decoded DecodeFlatNode(ReadOnlySpan<byte> value)
    {
        try
        {
            var bytes = BytesValue.Parser.ParseFrom(value).Value.ToByteArray();
            return FlatNodeReader.TryRead(bytes, out var peer) ? new(PeerDecodeStatus.Decoded, peer) : Decoded.Invalid;
        }
        catch (InvalidProtocolBufferException)
        {
            return Decoded.Invalid;
        }
    }

    private sealed record Decoded(PeerDecodeStatus Status, PeerInfo? Peer)
    {
        public static readonly Decoded Invalid = new(PeerDecodeStatus.Invalid, null);
    }
}
