using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Aggregation;

/// <summary>The figures of one side (client- or server-reported) of an edge or endpoint.</summary>
internal sealed class SideStats
{
    /// <summary>Index of a status class in <see cref="StatusClasses"/>: 0 (no response), 1xx ... 5xx.</summary>
    public static readonly string[] StatusClassNames = ["0", "1xx", "2xx", "3xx", "4xx", "5xx"];

    public long Requests;
    public long Errors;
    public StatusClassCounts StatusClasses;
    public long LatencySumMicros;
    public LatencyHistogram Latency;
    public long BytesSent;
    public long BytesReceived;
    public long TlsKnown;
    public long Mtls;
    public long Connections;
    public long ConnectionsOpened;
    public long Blocked;
    public long Passthrough;
    public long[]? FlagCounts;

    public void Add(in SideRecord r)
    {
        BytesSent += r.BytesSent;
        BytesReceived += r.BytesReceived;
        Blocked += r.Blocked ? 1 : 0;
        Passthrough += r.Passthrough ? 1 : 0;
        if (r.Protocol == TrafficProtocol.Tcp)
        {
            ConnectionsOpened += r.ConnectionsOpened;

            // A periodic entry of an open connection adds its new bytes only: the connection
            // itself is counted once, errors and TLS included, when it ends.
            if (r.Connections == 0)
            {
                return;
            }

            Connections += r.Connections;
        }
        else
        {
            Requests++;
            StatusClasses[StatusClass(r.StatusCode)]++;
        }

        if (r.Error)
        {
            Errors++;
        }

        if (r.LatencyMicros >= 0)
        {
            LatencySumMicros += r.LatencyMicros;
            Latency.Add(r.LatencyMicros);
        }

        if (r.TlsKnown)
        {
            TlsKnown++;
            Mtls += r.Mtls ? 1 : 0;
        }

        if (r.Flags != 0)
        {
            FlagCounts ??= new long[ResponseFlagSet.Count];
            for (var i = 0; i < ResponseFlagSet.Count; i++)
            {
                if ((r.Flags & (1u << i)) != 0)
                {
                    FlagCounts[i]++;
                }
            }
        }
    }

    public void Merge(SideStats o)
    {
        Requests += o.Requests;
        Errors += o.Errors;
        for (var i = 0; i < StatusClassNames.Length; i++)
        {
            StatusClasses[i] += o.StatusClasses[i];
        }

        LatencySumMicros += o.LatencySumMicros;
        Latency.Merge(in o.Latency);
        BytesSent += o.BytesSent;
        BytesReceived += o.BytesReceived;
        TlsKnown += o.TlsKnown;
        Mtls += o.Mtls;
        Connections += o.Connections;
        ConnectionsOpened += o.ConnectionsOpened;
        Blocked += o.Blocked;
        Passthrough += o.Passthrough;
        if (o.FlagCounts is not null)
        {
            FlagCounts ??= new long[ResponseFlagSet.Count];
            for (var i = 0; i < ResponseFlagSet.Count; i++)
            {
                FlagCounts[i] += o.FlagCounts[i];
            }
        }
    }

    /// <summary>How many calls (requests, or TCP connections) these figures cover.</summary>
    public long Calls => Requests + Connections;

    private static int StatusClass(int code) => code is >= 100 and < 600 ? code / 100 : 0;
}

/// <summary>Calls per status class, inline in <see cref="SideStats"/> (one cache line fewer per recorded call).</summary>
[System.Runtime.CompilerServices.InlineArray(6)]
internal struct StatusClassCounts
{
    private long _first;
}
