namespace AlsAnalyzer.Core.IstioMetrics;

/// <summary>Istio's standard metric names, labels and (Envoy's default) histogram bounds.</summary>
internal static class IstioNames
{
    public const string Requests = "istio_requests_total";
    public const string Duration = "istio_request_duration_milliseconds";
    public const string RequestBytes = "istio_request_bytes";
    public const string ResponseBytes = "istio_response_bytes";
    public const string TcpSent = "istio_tcp_sent_bytes_total";
    public const string TcpReceived = "istio_tcp_received_bytes_total";
    public const string TcpOpened = "istio_tcp_connections_opened_total";
    public const string TcpClosed = "istio_tcp_connections_closed_total";

    public const string Unknown = "unknown";
    public const string Latest = "latest";
    public const string Overflow = "overflow";

    /// <summary>Every label of an HTTP/gRPC series, in exposition order.</summary>
    public static readonly string[] Labels =
    [
        "reporter",
        "source_workload", "source_workload_namespace", "source_principal", "source_app", "source_version",
        "source_canonical_service", "source_canonical_revision", "source_cluster",
        "destination_workload", "destination_workload_namespace", "destination_principal", "destination_app",
        "destination_version", "destination_service", "destination_service_name", "destination_service_namespace",
        "destination_canonical_service", "destination_canonical_revision", "destination_cluster",
        "request_protocol", "response_code", "grpc_response_status", "response_flags", "connection_security_policy",
    ];

    /// <summary>Label indexes (into <see cref="Labels"/>).</summary>
    public const int Reporter = 0, SourceWorkload = 1, SourceNamespace = 2, SourcePrincipal = 3, SourceApp = 4, SourceVersion = 5,
        SourceCanonical = 6, SourceRevision = 7, SourceCluster = 8, DestinationWorkload = 9, DestinationNamespace = 10,
        DestinationPrincipal = 11, DestinationApp = 12, DestinationVersion = 13, DestinationService = 14,
        DestinationServiceName = 15, DestinationServiceNamespace = 16, DestinationCanonical = 17, DestinationRevision = 18,
        DestinationCluster = 19, Protocol = 20, ResponseCode = 21, GrpcStatus = 22, ResponseFlags = 23, SecurityPolicy = 24;

    /// <summary>Envoy's default histogram bounds (Istio sets none): milliseconds for durations, bytes for sizes; then +Inf.</summary>
    public static readonly double[] Bounds = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

    /// <summary>Buckets per histogram: the finite bounds and +Inf.</summary>
    public static readonly int Buckets = Bounds.Length + 1;

    /// <summary><see cref="Bounds"/> in microseconds, for durations kept in microseconds.</summary>
    internal static readonly long[] MicrosBounds = [.. Bounds.Select(b => (long)(b * 1000))];

    /// <summary>Twice <see cref="Bounds"/>, for sizes compared as 2 x bytes (the 0.5 bound stays exact).</summary>
    internal static readonly long[] DoubledBounds = [.. Bounds.Select(b => (long)(b * 2))];

    /// <summary>The bucket of <paramref name="value"/>: the first bound it does not exceed, else +Inf.</summary>
    public static int Bucket(long value, long[] bounds)
    {
        // Binary search over 19 bounds: 5 comparisons whatever the value.
        int lo = 0, hi = bounds.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (value <= bounds[mid])
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }
}

/// <summary>
/// <see cref="IstioNames.Bucket"/> in one comparison, for the ingest path. Envoy's bounds grow by
/// at least x2 from one to the next, so a power-of-two range <c>[2^e, 2^(e+1))</c> holds at
/// most one of them: the first bound at or above <c>2^e</c> (looked up by the value's top bit)
/// is the value's bucket, or the next one if the value exceeds it.
/// </summary>
internal sealed class BucketLookup
{
    public static readonly BucketLookup Micros = new(IstioNames.MicrosBounds);

    /// <summary>For sizes compared as 2 x bytes (<see cref="IstioNames.DoubledBounds"/>).</summary>
    public static readonly BucketLookup Doubled = new(IstioNames.DoubledBounds);

    // The bounds, then long.MaxValue: the +Inf bucket's comparison never moves past it.
    private readonly long[] _bounds;
    private readonly byte[] _firstAtOrAbove = new byte[64];

    public BucketLookup(long[] bounds)
    {
        if (bounds.Length == 0 || bounds[0] < 1)
        {
            throw new ArgumentException("the bounds start at 1 or more", nameof(bounds));
        }

        for (var i = 1; i < bounds.Length; i++)
        {
            if (bounds[i] / 2 < bounds[i - 1])
            {
                throw new ArgumentException($"bound {bounds[i]} is less than twice {bounds[i - 1]}: one comparison cannot place a value", nameof(bounds));
            }
        }

        _bounds = [.. bounds, long.MaxValue];
        for (var e = 0; e < 64; e++)
        {
            var low = e == 63 ? long.MaxValue : 1L << e;
            var first = 0;
            while (first < bounds.Length && bounds[first] < low)
            {
                first++;
            }

            _firstAtOrAbove[e] = (byte)first;
        }
    }

    /// <summary>The bucket of a non-negative <paramref name="value"/>, as <see cref="IstioNames.Bucket"/> gives it.</summary>
    public int Of(long value)
    {
        var first = _firstAtOrAbove[63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)value | 1)];

        // One past the bucket when the value is above its bound: the sign of bound - value (both
        // are non-negative, so it cannot overflow), with no branch to mispredict on latencies.
        return first + (int)((ulong)(_bounds[first] - value) >> 63);
    }
}
