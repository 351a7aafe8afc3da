using AlsAnalyzer.Core.Aggregation;

namespace AlsAnalyzer.Core.Query;

/// <summary>
/// What a query ranks by: the calls (requests, or TCP connections) of an edge or node over the
/// window, as the preferred side reported them, then its bytes (a long TCP connection moves
/// bytes before it is counted as a connection). Each side is summed separately, so that the
/// preferred side (the server's when it reported anywhere in the window) is chosen as a folded
/// window would choose it.
/// </summary>
internal struct Traffic
{
    public long ClientCalls;
    public long ServerCalls;
    public long ClientBytes;
    public long ServerBytes;
    public bool HasServer;

    public readonly long Calls => HasServer ? ServerCalls : ClientCalls;

    public readonly long Bytes => HasServer ? ServerBytes : ClientBytes;

    public readonly Rank Rank => new(Calls, Bytes);

    public void Add(EdgeStats stats)
    {
        if (stats.Client is { } client)
        {
            ClientCalls += client.Calls;
            ClientBytes += client.BytesSent + client.BytesReceived;
        }

        if (stats.Server is { } server)
        {
            HasServer = true;
            ServerCalls += server.Calls;
            ServerBytes += server.BytesSent + server.BytesReceived;
        }
    }
}

/// <summary>An ordering by calls, then bytes.</summary>
internal readonly record struct Rank(long Calls, long Bytes) : IComparable<Rank>
{
    public int CompareTo(Rank other)
    {
        var c = Calls.CompareTo(other.Calls);
        return c != 0 ? c : Bytes.CompareTo(other.Bytes);
    }

    public Rank Plus(Rank other) => new(Calls + other.Calls, Bytes + other.Bytes);
}
