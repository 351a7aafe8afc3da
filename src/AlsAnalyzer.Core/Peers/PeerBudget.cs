namespace AlsAnalyzer.Core.Peers;

/// <summary>
/// What one peer metadata payload may cost to read, so that crafted metadata costs about what
/// a normal entry costs: a payload over budget is rejected before it is parsed (the peer is
/// then unknown and the entry still counted) and counted by <see cref="PeerDecodeStatus"/>.
/// Istio's peer metadata is a few hundred bytes to a few KB: the name, namespace, workload,
/// cluster and the pod's labels (Kubernetes label keys are at most 317 bytes, values 63).
/// Both decoders apply the same checks to the same bytes, so they agree.
/// </summary>
internal static class PeerBudget
{
    /// <summary>The largest payload (the <c>Any</c>'s value) read.</summary>
    public const int MaxBytes = 16 * 1024;

    /// <summary>FlatNode labels, or Struct fields and list items over all levels, read at most.</summary>
    public const int MaxFields = 256;

    /// <summary>Struct nesting read at most (Istio's is 2: the peer, then its labels).</summary>
    public const int MaxDepth = 4;

    /// <summary>The longest string (a key or a value) read.</summary>
    public const int MaxStringBytes = 1024;

    private const int WireVarint = 0;
    private const int WireLength = 2;

    /// <summary>
    /// Checks a <c>google.protobuf.Struct</c>'s bytes against the budget in one pass, without
    /// building anything: <see cref="PeerDecodeStatus.Decoded"/> when within it (the bytes may
    /// still fail to parse; the parser says so).
    /// </summary>
    public static PeerDecodeStatus CheckStruct(ReadOnlySpan<byte> value)
    {
        if (value.Length > MaxBytes)
        {
            return PeerDecodeStatus.TooLarge;
        }

        var fields = 0;
        return Struct(value, 1, ref fields);
    }

    // Struct { map<string, Value> fields = 1; }: each entry is { string key = 1; Value value = 2; }.
    private static PeerDecodeStatus Struct(ReadOnlySpan<byte> s, int depth, ref int fields)
    {
        if (depth > MaxDepth)
        {
            return PeerDecodeStatus.TooDeep;
        }

        var r = new Scanner(s);
        while (r.Next(out var field, out var wire, out var bytes))
        {
            if (field != 1 || wire != WireLength)
            {
                continue;
            }

            if (++fields > MaxFields)
            {
                return PeerDecodeStatus.TooManyFields;
            }

            var entry = new Scanner(bytes);
            while (entry.Next(out var f, out var w, out var b))
            {
                var status = f == 1 && w == WireLength ? String(b)
                    : f == 2 && w == WireLength ? Value(b, depth, ref fields)
                    : PeerDecodeStatus.Decoded;
                if (status != PeerDecodeStatus.Decoded)
                {
                    return status;
                }
            }
        }

        return PeerDecodeStatus.Decoded;
    }

    // Value { string_value = 3; Struct struct_value = 5; ListValue list_value = 6; ... }.
    private static PeerDecodeStatus Value(ReadOnlySpan<byte> v, int depth, ref int fields)
    {
        var r = new Scanner(v);
        while (r.Next(out var field, out var wire, out var bytes))
        {
            if (wire != WireLength)
            {
                continue;
            }

            var status = field switch
            {
                3 => String(bytes),
                5 => Struct(bytes, depth + 1, ref fields),
                6 => List(bytes, depth + 1, ref fields),
                _ => PeerDecodeStatus.Decoded,
            };
            if (status != PeerDecodeStatus.Decoded)
            {
                return status;
            }
        }

        return PeerDecodeStatus.Decoded;
    }

    // ListValue { repeated Value values = 1; }.
    private static PeerDecodeStatus List(ReadOnlySpan<byte> l, int depth, ref int fields)
    {
        if (depth > MaxDepth)
        {
            return PeerDecodeStatus.TooDeep;
        }

        var r = new Scanner(l);
        while (r.Next(out var field, out var wire, out var bytes))
        {
            if (field != 1 || wire != WireLength)
            {
                continue;
            }

            if (++fields > MaxFields)
            {
                return PeerDecodeStatus.TooManyFields;
            }

            var status = Value(bytes, depth, ref fields);
            if (status != PeerDecodeStatus.Decoded)
            {
                return status;
            }
        }

        return PeerDecodeStatus.Decoded;
    }

    private static PeerDecodeStatus String(ReadOnlySpan<byte> s) => s.Length > MaxStringBytes ? PeerDecodeStatus.StringTooLong : PeerDecodeStatus.Decoded;

    /// <summary>
    /// A minimal protobuf field walker: stops (as at the end) on anything it cannot skip, and
    /// leaves telling bad bytes apart to the parser that runs after the budget check.
    /// </summary>
    private ref struct Scanner(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public bool Next(out int field, out int wire, out ReadOnlySpan<byte> bytes)
        {
            field = wire = 0;
            bytes = default;
            if (_rest.IsEmpty || !Varint(out var tag))
            {
                return false;
            }

            field = (int)(tag >> 3);
            wire = (int)(tag & 7);
            switch (wire)
            {
                case WireVarint:
                    return Varint(out _);
                case 1:
                    return Take(8, out _);
                case WireLength:
                    return Varint(out var length) && length <= (ulong)_rest.Length && Take((int)length, out bytes);
                case 5:
                    return Take(4, out _);
                default:
                    return false;
            }
        }

        private bool Take(int n, out ReadOnlySpan<byte> bytes)
        {
            if (n > _rest.Length)
            {
                bytes = default;
                return false;
            }

            bytes = _rest[..n];
            _rest = _rest[n..];
            return true;
        }

        private bool Varint(out ulong value)
        {
            value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_rest.IsEmpty)
                {
                    return false;
                }

                var b = _rest[0];
                _rest = _rest[1..];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
