namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>One write, as the watch history (etcd's revision log) keeps it.</summary>
/// <param name="ResourceVersion">The revision the write created.</param>
/// <param name="Resource">The resource written.</param>
/// <param name="Type">ADDED, MODIFIED or DELETED.</param>
/// <param name="Old">The state before the write; null for ADDED.</param>
/// <param name="New">The state after the write; for DELETED the last state carrying the deletion's resourceVersion.</param>
internal sealed record HistoryEvent(long ResourceVersion, FakeKubeResource Resource, string Type, StoredObject? Old, StoredObject New)
{
    public const string Added = "ADDED";
    public const string Modified = "MODIFIED";
    public const string Deleted = "DELETED";
}
