namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>One page of a list: its items (as list items are served), the list's resourceVersion and how to go on.</summary>
internal sealed record ListPage(IReadOnlyList<string> Items, long ResourceVersion, string? Continue, long? RemainingItemCount);
