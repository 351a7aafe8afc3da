using Google.Protobuf.Reflection;

namespace AlsAnalyzer.Conformance.Tests;

/// <summary>What a wire walk found: see <see cref="SchemaComparer.CompareWire"/>.</summary>
/// <param name="Compared">The (ours, official) message and enum pairs the walk compared.</param>
internal sealed record WireComparison(
    IReadOnlyList<string> Mismatches,
    IReadOnlyList<string> AbsentOfficially,
    IReadOnlyList<string> Unverified,
    IReadOnlyCollection<(string Ours, string Official)> Compared);

/// <summary>
/// Compares our declarations with the official schema, both given as protoc descriptor sets.
/// Type names are full names without the leading dot, e.g. "envoy.config.core.v3.Node".
/// </summary>
internal sealed class SchemaComparer
{
    private readonly FileDescriptorSet _ours;
    private readonly Index _ourIndex;
    private readonly Index _officialIndex;
    private readonly IReadOnlySet<string> _unverifiableOfficialFiles;

    /// <param name="unverifiableOfficialFiles">Official files that only stand in for missing ones:
    /// the wire walk reports their types as unverified instead of comparing with them.</param>
    public SchemaComparer(FileDescriptorSet ours, FileDescriptorSet official, IReadOnlySet<string>? unverifiableOfficialFiles = null)
    {
        _ours = ours;
        _ourIndex = new Index(ours);
        _officialIndex = new Index(official);
        _unverifiableOfficialFiles = unverifiableOfficialFiles ?? new HashSet<string>();
    }

    public static MethodDescriptorProto FindMethod(FileDescriptorSet set, string path) =>
        new Index(set).Methods.TryGetValue(path, out var method)
            ? method
            : throw new KeyNotFoundException($"No method {path} in the descriptor set.");

    /// <summary>
    /// Every message, enum (nested ones too), field, enum value and service method that our files
    /// declare (all files but the well-known types, or only <paramref name="fileName"/>) must exist
    /// officially under the same full name; fields with the same number, type, type_name, label,
    /// oneof, presence (explicit, as proto2 optional, or implicit, as plain proto3) and proto2
    /// default; enum values with the same number; methods with the same streaming flags; and a
    /// file of ours with the syntax of the official file at its path. Returns one line per
    /// difference.
    /// </summary>
    public IReadOnlyList<string> CompareDeclarations(string? fileName = null)
    {
        var mismatches = new List<string>();
        var files = _ours.File.Where(file => fileName is null
            ? !file.Name.StartsWith("google/protobuf/", StringComparison.Ordinal)
            : file.Name == fileName);
        foreach (var file in files)
        {
            if (_officialIndex.Files.TryGetValue(file.Name, out var officialFile))
            {
                Expect(mismatches, file.Name, "syntax", Syntax(file), Syntax(officialFile));
            }

            foreach (var message in file.MessageType)
            {
                CompareMessage(Qualify(file.Package, message.Name), message, file, mismatches);
            }

            foreach (var enumType in file.EnumType)
            {
                CompareEnum(Qualify(file.Package, enumType.Name), enumType, mismatches);
            }

            foreach (var service in file.Service)
            {
                CompareService(Qualify(file.Package, service.Name), service, mismatches);
            }
        }

        return mismatches;
    }

    /// <summary>
    /// Walks our message and the official one side by side, matching fields by number and
    /// following message fields recursively: a field must have the same type and label as the
    /// official field with its number (names do not travel on the wire). Our fields and enum
    /// values whose number the official type lacks are listed as absent officially; official
    /// types from unverifiable files are listed as unverified.
    /// </summary>
    public WireComparison CompareWire(string ourMessage, string officialMessage)
    {
        var walk = new WireWalk([], [], new SortedSet<string>(StringComparer.Ordinal), []);
        WalkMessage(ourMessage.TrimStart('.'), officialMessage.TrimStart('.'), walk);
        return new WireComparison(
            walk.Mismatches,
            walk.AbsentOfficially,
            [.. walk.Unverified],
            [.. walk.Visited.Where(pair => !walk.Unverified.Contains(pair.Official))]);
    }

    private void CompareMessage(string name, DescriptorProto ours, FileDescriptorProto ourFile, List<string> mismatches)
    {
        if (!_officialIndex.Messages.TryGetValue(name, out var official))
        {
            mismatches.Add($"{name}: message does not exist officially");
            return;
        }

        foreach (var field in ours.Field)
        {
            var path = $"{name}.{field.Name}";
            var match = official.Message.Field.FirstOrDefault(candidate => candidate.Name == field.Name);
            if (match is null)
            {
                mismatches.Add($"{path}: field does not exist officially");
                continue;
            }

            Expect(mismatches, path, "number", field.Number, match.Number);
            Expect(mismatches, path, "type", field.Type, match.Type);
            Expect(mismatches, path, "type_name", field.TypeName, match.TypeName);
            Expect(mismatches, path, "label", field.Label, match.Label);
            Expect(mismatches, path, "oneof", OneofName(ours, field), OneofName(official.Message, match));
            if (field.Type == match.Type && field.Label == match.Label && OneofName(ours, field) == OneofName(official.Message, match))
            {
                // Otherwise a difference in presence is already told by the type, label or oneof.
                Expect(mismatches, path, "presence", Presence(ourFile, field), Presence(official.File, match));
            }

            Expect(mismatches, path, "default_value", DefaultValue(field), DefaultValue(match));
        }

        foreach (var nested in ours.NestedType)
        {
            CompareMessage($"{name}.{nested.Name}", nested, ourFile, mismatches);
        }

        foreach (var nested in ours.EnumType)
        {
            CompareEnum($"{name}.{nested.Name}", nested, mismatches);
        }
    }

    private void CompareEnum(string name, EnumDescriptorProto ours, List<string> mismatches)
    {
        if (!_officialIndex.Enums.TryGetValue(name, out var official))
        {
            mismatches.Add($"{name}: enum does not exist officially");
            return;
        }

        foreach (var value in ours.Value)
        {
            var match = official.Enum.Value.FirstOrDefault(candidate => candidate.Name == value.Name);
            if (match is null)
            {
                mismatches.Add($"{name}.{value.Name}: enum value does not exist officially");
                continue;
            }

            Expect(mismatches, $"{name}.{value.Name}", "number", value.Number, match.Number);
        }
    }

    private void CompareService(string name, ServiceDescriptorProto ours, List<string> mismatches)
    {
        foreach (var method in ours.Method)
        {
            var path = $"/{name}/{method.Name}";
            if (!_officialIndex.Methods.TryGetValue(path, out var match))
            {
                mismatches.Add($"{path}: method does not exist officially");
                continue;
            }

            Expect(mismatches, path, "client_streaming", method.ClientStreaming, match.ClientStreaming);
            Expect(mismatches, path, "server_streaming", method.ServerStreaming, match.ServerStreaming);
        }
    }

    private void WalkMessage(string ourName, string officialName, WireWalk walk)
    {
        if (!walk.Visited.Add((ourName, officialName)) || IsUnverifiable(officialName, walk))
        {
            return;
        }

        var ours = _ourIndex.Messages[ourName].Message;
        if (!_officialIndex.Messages.TryGetValue(officialName, out var official))
        {
            walk.Mismatches.Add($"{ourName}: official message {officialName} does not exist");
            return;
        }

        foreach (var field in ours.Field)
        {
            var path = $"{ourName}.{field.Name}";
            var match = official.Message.Field.FirstOrDefault(candidate => candidate.Number == field.Number);
            if (match is null)
            {
                walk.AbsentOfficially.Add(path);
            }
            else if (field.Type != match.Type || field.Label != match.Label)
            {
                walk.Mismatches.Add($"{path} ({field.Number}): {field.Label} {field.Type}, official {officialName}.{match.Name} is {match.Label} {match.Type}");
            }
            else if (field.Type is FieldDescriptorProto.Types.Type.Message or FieldDescriptorProto.Types.Type.Group)
            {
                WalkMessage(field.TypeName.TrimStart('.'), match.TypeName.TrimStart('.'), walk);
            }
            else if (field.Type is FieldDescriptorProto.Types.Type.Enum)
            {
                WalkEnum(field.TypeName.TrimStart('.'), match.TypeName.TrimStart('.'), walk);
            }
        }
    }

    private void WalkEnum(string ourName, string officialName, WireWalk walk)
    {
        if (!walk.Visited.Add((ourName, officialName)) || IsUnverifiable(officialName, walk))
        {
            return;
        }

        var ours = _ourIndex.Enums[ourName].Enum;
        var official = _officialIndex.Enums[officialName].Enum;
        foreach (var value in ours.Value)
        {
            var match = official.Value.FirstOrDefault(candidate => candidate.Number == value.Number);
            if (match is null)
            {
                walk.AbsentOfficially.Add($"{ourName}.{value.Name}");
            }
            else if (match.Name != value.Name)
            {
                walk.Mismatches.Add($"{ourName}.{value.Name} ({value.Number}): official {officialName} names it {match.Name}");
            }
        }
    }

    private bool IsUnverifiable(string officialName, WireWalk walk)
    {
        var file = _officialIndex.Messages.TryGetValue(officialName, out var message) ? message.File
            : _officialIndex.Enums.TryGetValue(officialName, out var enumType) ? enumType.File
            : null;
        if (file is not null && _unverifiableOfficialFiles.Contains(file.Name))
        {
            walk.Unverified.Add(officialName);
            return true;
        }

        return false;
    }

    private static void Expect<T>(List<string> mismatches, string path, string property, T ours, T official)
    {
        if (!EqualityComparer<T>.Default.Equals(ours, official))
        {
            mismatches.Add($"{path}: {property} is {ours}, official {official}");
        }
    }

    /// <summary>"proto2", "proto3" or "editions" (protoc leaves proto2's syntax empty).</summary>
    private static string Syntax(FileDescriptorProto file) => file.Syntax is { Length: > 0 } syntax ? syntax : "proto2";

    /// <summary>
    /// Whether a singular field tells "not sent" from its default: "explicit" (proto2 optional,
    /// proto3 optional, messages, oneof members), "implicit" (plain proto3 scalars) or "required".
    /// Editions files are read from the field's or file's field_presence feature (explicit by default).
    /// </summary>
    private static string Presence(FileDescriptorProto file, FieldDescriptorProto field)
    {
        if (field.Label == FieldDescriptorProto.Types.Label.Repeated)
        {
            return "(repeated)";
        }

        if (field.Label == FieldDescriptorProto.Types.Label.Required)
        {
            return "required";
        }

        if (field.Type is FieldDescriptorProto.Types.Type.Message or FieldDescriptorProto.Types.Type.Group || field.HasOneofIndex || field.Proto3Optional)
        {
            return "explicit";
        }

        var presence = Syntax(file) switch
        {
            "proto2" => FeatureSet.Types.FieldPresence.Explicit,
            "proto3" => FeatureSet.Types.FieldPresence.Implicit,
            _ => field.Options?.Features?.FieldPresence is { } own and not FeatureSet.Types.FieldPresence.Unknown ? own
                : file.Options?.Features?.FieldPresence is { } inherited and not FeatureSet.Types.FieldPresence.Unknown ? inherited
                : FeatureSet.Types.FieldPresence.Explicit,
        };
        return presence switch
        {
            FeatureSet.Types.FieldPresence.Implicit => "implicit",
            FeatureSet.Types.FieldPresence.LegacyRequired => "required",
            _ => "explicit",
        };
    }

    private static string DefaultValue(FieldDescriptorProto field) => field.HasDefaultValue ? field.DefaultValue : "(none)";

    /// <summary>The field's oneof, or "(none)"; proto3 optional's synthetic oneofs do not count.</summary>
    private static string OneofName(DescriptorProto message, FieldDescriptorProto field) =>
        field.HasOneofIndex && !field.Proto3Optional ? message.OneofDecl[field.OneofIndex].Name : "(none)";

    private static string Qualify(string scope, string name) => scope.Length == 0 ? name : $"{scope}.{name}";

    private sealed record WireWalk(
        List<string> Mismatches,
        List<string> AbsentOfficially,
        SortedSet<string> Unverified,
        HashSet<(string Ours, string Official)> Visited);

    /// <summary>Every message, enum and method of a descriptor set by full name (methods by path).</summary>
    private sealed class Index
    {
        public Index(FileDescriptorSet set)
        {
            foreach (var file in set.File)
            {
                Files[file.Name] = file;
                AddTypes(file.Package, file.MessageType, file.EnumType, file);
                foreach (var service in file.Service)
                {
                    foreach (var method in service.Method)
                    {
                        Methods[$"/{Qualify(file.Package, service.Name)}/{method.Name}"] = method;
                    }
                }
            }
        }

        public Dictionary<string, FileDescriptorProto> Files { get; } = [];

        public Dictionary<string, (DescriptorProto Message, FileDescriptorProto File)> Messages { get; } = [];

        public Dictionary<string, (EnumDescriptorProto Enum, FileDescriptorProto File)> Enums { get; } = [];

        public Dictionary<string, MethodDescriptorProto> Methods { get; } = [];

        private void AddTypes(string scope, IEnumerable<DescriptorProto> messages, IEnumerable<EnumDescriptorProto> enums, FileDescriptorProto file)
        {
            foreach (var enumType in enums)
            {
                Enums[Qualify(scope, enumType.Name)] = (enumType, file);
            }

            foreach (var message in messages)
            {
                var name = Qualify(scope, message.Name);
                Messages[name] = (message, file);
                AddTypes(name, message.NestedType, message.EnumType, file);
            }
        }
    }
}
