namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>What a list or watch asked for: a namespace (null for all) and label and field selectors.</summary>
internal sealed record ObjectFilter(string? Namespace, LabelSelector Labels, FieldSelector Fields)
{
    public static ObjectFilter Everything { get; } = new(null, LabelSelector.Everything, FieldSelector.Everything);

    /// <summary>True when a selector narrows the result (real servers then omit remainingItemCount).</summary>
    public bool HasSelectors => !Labels.IsEmpty || !Fields.IsEmpty;

    public bool Matches(StoredObject obj)
    {
        if (Namespace is not null)
        {
            var ns = obj.Element.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("namespace", out var n) ? n.GetString() : null;
            if (ns != Namespace)
            {
                return false;
            }
        }

        return Labels.Matches(obj.Element) && Fields.Matches(obj.Element);
    }
}
