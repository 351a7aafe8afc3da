using System.Collections.Concurrent;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Analysis;

/// <summary>
/// Callers named by the SPIFFE identity of their client certificate, by that identity: a mesh
/// has a bounded set of them, so each is split once. Bounded in keys and bytes like the decode
/// tables: past either the cache starts empty again (<see cref="Resets"/>); an identity that
/// alone passes the byte bound is named per entry and not kept (<see cref="Overflow"/>).
/// </summary>
internal sealed class CertificateCallers(int capacity, long maxBytes = long.MaxValue) : ICountedTable
{
    // A dictionary entry's own bytes besides the key string (node, hash, references), and the
    // node's namespace and service account copied out of the identity.
    private const int EntryBytes = 64;

    private readonly ConcurrentDictionary<string, NodeRef> _callers = new(StringComparer.Ordinal);

    // Counted here: ConcurrentDictionary.Count takes every bucket lock.
    private int _count;
    private long _bytes;
    private long _overflow;
    private long _resets;

    public int Capacity => capacity;

    public int Count => Volatile.Read(ref _count);

    public long Bytes => Interlocked.Read(ref _bytes);

    public long ByteCapacity => maxBytes;

    public long Overflow => Interlocked.Read(ref _overflow);

    public long Resets => Interlocked.Read(ref _resets);

    /// <summary>Always 0: identities longer than <see cref="DecodeLimits.MaxKeyBytes"/> were folded by the decoder already.</summary>
    public long TooLong => 0;

    /// <summary>The caller <paramref name="identity"/> names (<see cref="EntryAnalyzer.SpiffeCaller"/>), kept for the next entry while the bounds allow.</summary>
    public NodeRef Get(string identity)
    {
        if (_callers.TryGetValue(identity, out var node))
        {
            return node;
        }

        node = EntryAnalyzer.SpiffeCaller(identity);
        var bytes = EntryBytes + DecodeLimits.StringBytes(identity) + DecodeLimits.StringBytes(node.Namespace) + DecodeLimits.StringBytes(node.Name);
        if (capacity == 0 || bytes > maxBytes)
        {
            Interlocked.Increment(ref _overflow);
            return node;
        }

        if (Volatile.Read(ref _count) >= capacity || Interlocked.Read(ref _bytes) + bytes > maxBytes)
        {
            // A new generation, as the decode tables start one: identities in use come back.
            // Racing adds may leave the counts a little off until the next reset; they only
            // decide when that comes.
            _callers.Clear();
            Volatile.Write(ref _count, 0);
            Interlocked.Exchange(ref _bytes, 0);
            Interlocked.Increment(ref _resets);
        }

        if (_callers.TryAdd(identity, node))
        {
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _bytes, bytes);
        }

        return node;
    }
}
