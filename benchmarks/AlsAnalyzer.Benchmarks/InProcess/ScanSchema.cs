using Google.Protobuf.Reflection;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// Which fields of a message are nested messages (by field number), derived once from the
/// generated descriptors, so the raw scanner can descend into every nested message without
/// materializing anything. <c>Any.value</c> is bytes: the scanner does not look inside.
/// </summary>
internal sealed class ScanSchema
{
    private ScanSchema?[] _children = [];

    public static ScanSchema For(MessageDescriptor root) => Build(root, new Dictionary<string, ScanSchema>(StringComparer.Ordinal));

    /// <summary>The nested message schema of field <paramref name="number"/>, or null for scalars, strings and bytes.</summary>
    public ScanSchema? Child(int number) => (uint)number < (uint)_children.Length ? _children[number] : null;

    private static ScanSchema Build(MessageDescriptor descriptor, Dictionary<string, ScanSchema> seen)
    {
        if (seen.TryGetValue(descriptor.FullName, out var existing))
        {
            return existing;
        }

        var schema = new ScanSchema();
        seen[descriptor.FullName] = schema;
        var fields = descriptor.Fields.InFieldNumberOrder();
        var max = fields.Count == 0 ? 0 : fields.Max(f => f.FieldNumber);
        var children = new ScanSchema?[max + 1];
        foreach (var field in fields)
        {
            if (field.FieldType is FieldType.Message or FieldType.Group)
            {
                children[field.FieldNumber] = Build(field.MessageType, seen);
            }
        }

        schema._children = children;
        return schema;
    }
}
