namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>
/// What the server counted between two scrapes, and the accounting checks: every entry
/// received is analyzed, unattributed or rejected (with a reason), none rejected here.
/// </summary>
internal sealed class MetricsDelta(MetricsSnapshot after, MetricsSnapshot before)
{
    public long Messages => D("als_messages_received_total");

    public long MessagesRejected => D("als_messages_rejected_total");

    public long Received => D("als_entries_received_total");

    public long Analyzed => D("als_entries_analyzed_total");

    public long Unattributed => D("als_entries_unattributed_total");

    public long Rejected => D("als_entries_rejected_total");

    /// <summary>Problems with the accounting of a run that sent <paramref name="messages"/> messages holding <paramref name="entries"/> entries.</summary>
    public List<string> Check(string mode, long messages, long entries, bool mapsEveryPeer)
    {
        var problems = new List<string>();
        if (Messages != messages)
        {
            problems.Add($"als_messages_received_total rose by {Messages}, {messages} messages were sent");
        }

        if (MessagesRejected != 0)
        {
            problems.Add($"als_messages_rejected_total rose by {MessagesRejected}");
        }

        if (mode == "discard")
        {
            // Discard drops payloads unread: there are no entries to count.
            return problems;
        }

        if (Received != entries)
        {
            problems.Add($"als_entries_received_total rose by {Received}, {entries} entries were sent");
        }

        if (Received != Analyzed + Unattributed + Rejected)
        {
            problems.Add($"accounting: received {Received} != analyzed {Analyzed} + unattributed {Unattributed} + rejected {Rejected}");
        }

        if (mapsEveryPeer && Unattributed != 0)
        {
            problems.Add($"{Unattributed} entries unattributed, though every peer of the corpus is in the mesh");
        }

        if (Rejected != 0)
        {
            problems.Add($"{Rejected} entries rejected (the corpus time should be inside the retention)");
        }

        return problems;
    }

    private long D(string name) => (long)Math.Round(after.Sum(name) - before.Sum(name));
}
