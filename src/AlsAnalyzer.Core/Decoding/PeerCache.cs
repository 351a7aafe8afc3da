using System.Collections.Concurrent;
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
internal sealed class PeerCache(int capacity)
{
    private readonly Table _structs = new(capacity);
    private readonly Table _flatNodes = new(capacity);

    public int Count => _structs.Count + _flatNodes.Count;

    /// <summary>A <c>google.protobuf.Struct</c> (Istio &gt;= 1.24) from an Any's value bytes.</summary>
    public (PeerDecodeStatus Status, PeerInfo? Peer) Struct(ReadOnlySpan<byte> value) => _structs.Get(value, DecodeStruct);

    /// <summary>A <c>BytesValue</c> holding a FlatNode (Istio &lt;= 1.23) from an Any's value bytes.</summary>
    public (PeerDecodeStatus Status, PeerInfo? Peer) FlatNode(ReadOnlySpan<byte> value) => _flatNodes.Get(value, DecodeFlatNode);

    private static (PeerDecodeStatus, PeerInfo?) DecodeStruct(ReadOnlySpan<byte> value)
    {
        try
        {
            return (PeerDecodeStatus.Decoded, PeerMetadataReader.FromStruct(Google.Protobuf.WellKnownTypes.Struct.Parser.ParseFrom(value)));
        }
        catch (InvalidProtocolBufferException)
        {
            return (PeerDecodeStatus.Invalid, null);
        }
    }

    private static (PeerDecodeStatus, PeerInfo?) DecodeFlatNode(ReadOnlySpan<byte> value)
    {
        try
        {
            var bytes = BytesValue.Parser.ParseFrom(value).Value.ToByteArray();
            return FlatNodeReader.TryRead(bytes, out var peer) ? (PeerDecodeStatus.Decoded, peer) : (PeerDecodeStatus.Invalid, null);
        }
        catch (InvalidProtocolBufferException)
        {
            return (PeerDecodeStatus.Invalid, null);
        }
    }

    private delegate (PeerDecodeStatus, PeerInfo?) Decoder(ReadOnlySpan<byte> value);

    private sealed class Table(int capacity)
    {
        private readonly ConcurrentDictionary<byte[], (PeerDecodeStatus, PeerInfo?)> _map = new(ByteContentComparer.Instance);

        // Counted here: ConcurrentDictionary.Count takes every bucket lock.
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public (PeerDecodeStatus, PeerInfo?) Get(ReadOnlySpan<byte> value, Decoder decode)
        {
            var lookup = _map.GetAlternateLookup<ReadOnlySpan<byte>>();
            if (lookup.TryGetValue(value, out var hit))
            {
                return hit;
            }

            var decoded = decode(value);
            if (Volatile.Read(ref _count) < capacity && _map.TryAdd(value.ToArray(), decoded))
            {
                Interlocked.Increment(ref _count);
            }

            return decoded;
        }
    }

    private sealed class ByteContentComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteContentComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = default(HashCode);
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
