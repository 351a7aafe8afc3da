using System.Text;

namespace AlsAnalyzer.Core.IstioMetrics;

/// <summary>
/// One label set and its cumulative figures since it was first seen. A new series is held:
/// what is folded into it waits in <see cref="Pending"/> while it is published at 0, until
/// every consumer has seen it at 0 (<see cref="IstioSeriesStore"/>), so that Prometheus'
/// <c>rate()</c> and <c>increase()</c> count its first requests.
/// </summary>
internal sealed class IstioSeries
{
    public IstioSeries(string[] values, bool tcp, long nowMs, bool held)
    {
        Values = values;
        Tcp = tcp;
        BornMs = nowMs;
        LastUpdateMs = nowMs;
        Pending = held ? new IstioCounts() : null;
        LabelText = Render(values, tcp);
    }

    /// <summary>Label values in <see cref="IstioNames.Labels"/> order.</summary>
    public string[] Values { get; }

    /// <summary>A TCP series: the TCP counters, without <c>response_code</c> and <c>grpc_response_status</c>.</summary>
    public bool Tcp { get; }

    /// <summary><c>name="value",...</c> in UTF-8, escaped, rendered once.</summary>
    public byte[] LabelText { get; }

    /// <summary>What consumers see.</summary>
    public IstioCounts Published { get; } = new();

    /// <summary>While held: what was folded in since birth, published on release. Null once released.</summary>
    public IstioCounts? Pending { get; set; }

    public long BornMs { get; }

    public long LastUpdateMs { get; set; }

    public bool SeenByScrape { get; set; }

    public bool SeenByRemote { get; set; }

    public bool Expired { get; set; }

    public bool IsHeld => Pending is not null;

    /// <summary>Whether the label <paramref name="index"/> (into <see cref="IstioNames.Labels"/>) is part of this series.</summary>
    public static bool HasLabel(bool tcp, int index) => !tcp || (index != IstioNames.ResponseCode && index != IstioNames.GrpcStatus);

    private static byte[] Render(string[] values, bool tcp)
    {
        var sb = new StringBuilder(64 * values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            if (!HasLabel(tcp, i))
            {
                continue;
            }

            if (sb.Length > 0)
            {
                sb.Append(',');
            }

            sb.Append(IstioNames.Labels[i]).Append("=\"");
            foreach (var c in values[i])
            {
                _ = c switch
                {
                    '\\' => sb.Append("\\\\"),
                    '"' => sb.Append("\\\""),
                    '\n' => sb.Append("\\n"),
                    _ => sb.Append(c),
                };
            }

            sb.Append('"');
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
