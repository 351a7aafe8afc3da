namespace AlsAnalyzer.Core.Metrics;

/// <summary>
/// A stat's identity within a proxy, and for upstream cluster stats the cluster it belongs to.
/// Envoy sends flat names (<c>cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_rq_total</c>)
/// unless <c>emit_tags_as_labels</c> is set, in which case the name is tag-extracted
/// (<c>cluster.upstream_rq_total</c>) and the cluster is the <c>envoy.cluster_name</c> label.
/// </summary>
internal readonly record struct StatName(string Key, string? Cluster, string? ClusterStat)
{
    public const string ClusterLabel = "envoy.cluster_name";
    private const string ClusterPrefix = "cluster.";
    private const int MaxLength = 2048;

    /// <summary>The per-cluster stats the API reports. Flat names are split at one of these suffixes.</summary>
    public static readonly string[] ClusterStats =
    [
        "upstream_rq_total", "upstream_rq_active", "upstream_rq_pending_active", "upstream_rq_retry",
        "upstream_rq_timeout", "upstream_rq_pending_overflow", "upstream_cx_total", "upstream_cx_active",
        "upstream_cx_connect_fail", "membership_healthy", "membership_total",
    ];

    public static bool TryParse(string name, IReadOnlyList<KeyValuePair<string, string>> labels, out StatName stat)
    {
        stat = default;
        if (!IsValidName(name))
        {
            return false;
        }

        if (labels.Count > 0)
        {
            string? cluster = null;
            var parts = new List<string>(labels.Count);
            foreach (var (k, v) in labels)
            {
                if (k == ClusterLabel)
                {
                    cluster = v;
                }

                parts.Add(k + "=" + v);
            }

            parts.Sort(StringComparer.Ordinal);
            var key = name + "{" + string.Join(',', parts) + "}";
            var clusterStat = cluster is not null && name.StartsWith(ClusterPrefix, StringComparison.Ordinal) ? name[ClusterPrefix.Length..] : null;
            stat = new StatName(key, clusterStat is null ? null : cluster, clusterStat);
            return true;
        }

        if (name.StartsWith(ClusterPrefix, StringComparison.Ordinal))
        {
            var rest = name.AsSpan(ClusterPrefix.Length);
            foreach (var s in ClusterStats)
            {
                if (rest.Length > s.Length + 1 && rest.EndsWith(s, StringComparison.Ordinal) && rest[rest.Length - s.Length - 1] == '.')
                {
                    stat = new StatName(name, rest[..(rest.Length - s.Length - 1)].ToString(), s);
                    return true;
                }
            }
        }

        stat = new StatName(name, null, null);
        return true;
    }

    private static bool IsValidName(string name)
    {
        if (name.Length == 0 || name.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                return false;
            }
        }

        return true;
    }
}
