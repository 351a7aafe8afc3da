using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>
/// Estimated bytes of the sample reservoirs on 64-bit .NET (README, "Memory budget"): object
/// headers and fields, the reservoirs' slots, and every string a sample or an edge holds at
/// 22 + 2 bytes per char, as if none were shared. The details read from a kept entry are cut to
/// <see cref="MaxDetailLength"/> chars, and entries longer than
/// <see cref="MaxAttachedEntryBytes"/> are not copied for their details.
/// </summary>
internal static class SampleBytes
{
    /// <summary>Longest request id, response code details, upstream host or cluster a sample keeps (chars).</summary>
    public const int MaxDetailLength = 256;

    /// <summary>Longest entry (protobuf bytes) copied for a candidate's details; a longer one leaves its sample without them.</summary>
    public const int MaxAttachedEntryBytes = 16 * 1024;

    // CallSample: header and method table 16; time 16; reporter, protocol, status, flags 16;
    // error 8 (padded); latency and two byte counts 24; two NodeRefs (kind, hash, two string
    // references: 24 each) 48; endpoint 8; details (nullable time 24, four strings 32, gRPC status 8) 64.
    private const long SampleFixed = 200;

    // EdgeSamples (header, key 56, two ids, four references, counters) 120; its recency node 48;
    // the store's dictionary entry (hash, next, key 56, value) 80 and the floors' node (key,
    // value, next, hash) 104; the errors array and two lists (their arrays at size, and a next
    // period's before it fills) 24 + 32 + 32 + 3 x 24.
    private const long EdgeFixed = 120 + 48 + 80 + 104 + 24 + 32 + 32 + (3 * 24);

    public static long Of(CallSample s) =>
        SampleFixed
        + String(s.Source.Namespace) + String(s.Source.Name) + String(s.Target.Namespace) + String(s.Target.Name)
        + String(s.Endpoint)
        + String(s.Details.RequestId) + String(s.Details.ResponseCodeDetails) + String(s.Details.UpstreamHost) + String(s.Details.UpstreamCluster);

    /// <summary>An edge with its key's strings and ids, and its reservoirs' slots at <paramref name="size"/> samples each.</summary>
    public static long Edge(EdgeKey key, string sourceId, string targetId, int size) =>
        EdgeFixed + (3L * 8 * size)
        + String(key.Source.Namespace) + String(key.Source.Name) + String(key.Target.Namespace) + String(key.Target.Name)
        + String(sourceId) + String(targetId);

    /// <summary>A copy of an entry's bytes (array header and length, rounded to 8).</summary>
    public static long EntryCopy(int length) => 24 + ((length + 7L) & ~7L);

    /// <summary>The details with each string cut to <see cref="MaxDetailLength"/> chars.</summary>
    public static SampleDetails Capped(SampleDetails d) => d with
    {
        RequestId = Cap(d.RequestId),
        ResponseCodeDetails = Cap(d.ResponseCodeDetails),
        UpstreamHost = Cap(d.UpstreamHost),
        UpstreamCluster = Cap(d.UpstreamCluster),
    };

    private static string Cap(string s) => s.Length > MaxDetailLength ? s[..MaxDetailLength] : s;

    private static long String(string s) => SeriesBytes.String(s);
}
