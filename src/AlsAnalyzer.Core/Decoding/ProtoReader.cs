namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// A forward-only protobuf wire reader over one message's bytes. Every read is bounds
/// checked and reports failure instead of throwing: a truncated or corrupt payload makes
/// <see cref="Failed"/> true and the caller rejects the message.
/// </summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> buffer)
{
    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireLength = 2;
    private const int WireStartGroup = 3;
    private const int WireEndGroup = 4;
    private const int WireFixed32 = 5;
    private const int MaxGroupDepth = 64;

    private readonly ReadOnlySpan<byte> _buffer = buffer;
    private int _position;

    public bool Failed { get; private set; }

    /// <summary>Reads the next tag; false at the end of the buffer or on corruption (then <see cref="Failed"/>).</summary>
    public bool NextField(out int field, out int wireType)
    {
        field = wireType = 0;
        if (_position >= _buffer.Length || Failed)
        {
            return false;
        }

        // Tags are 32-bit varints: a longer encoding keeps its low 32 bits, as the generated parser reads it.
        if (!TryVarint(out var raw) || ((uint)raw >> 3) == 0)
        {
            return Fail();
        }

        var tag = (uint)raw;
        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        return true;
    }

    public ulong Varint() => TryVarint(out var v) ? v : FailWith(0UL);

    /// <summary>A length-delimited value: the bytes of a string, bytes or embedded message field.</summary>
    public ReadOnlySpan<byte> Bytes()
    {
        // Lengths are 32-bit varints too (low 32 bits kept); a negative one is corrupt.
        if (!TryVarint(out var raw) || (int)(uint)raw < 0 || (int)(uint)raw > _buffer.Length - _position)
        {
            Fail();
            return default;
        }

        var length = (int)(uint)raw;
        var value = _buffer.Slice(_position, length);
        _position += length;
        return value;
    }

    /// <summary>Skips a field of any wire type, as the generated parser skips unknown fields.</summary>
    public void Skip(int wireType, int field)
    {
        // The common cases inline; groups (recursive) and the rest go through SkipValue.
        if (wireType == WireLength)
        {
            Bytes();
        }
        else if (wireType == WireVarint)
        {
            Varint();
        }
        else
        {
            SkipValue(wireType, field, 0);
        }
    }

    private void SkipValue(int wireType, int field, int depth)
    {
        switch (wireType)
        {
            case WireVarint:
                Varint();
                break;
            case WireFixed64:
                Advance(8);
                break;
            case WireLength:
                Bytes();
                break;
            case WireFixed32:
                Advance(4);
                break;
            case WireStartGroup:
                if (depth >= MaxGroupDepth)
                {
                    Fail();
                    return;
                }

                while (NextField(out var f, out var w))
                {
                    if (w == WireEndGroup)
                    {
                        if (f != field)
                        {
                            Fail();
                        }

                        return;
                    }

                    SkipValue(w, f, depth + 1);
                }

                Fail();
                break;
            default:
                Fail();
                break;
        }
    }

    private void Advance(int count)
    {
        if (_buffer.Length - _position < count)
        {
            Fail();
            return;
        }

        _position += count;
    }

    private bool TryVarint(out ulong value)
    {
        // Tags, small lengths and small numbers are one or two bytes: read those without the loop.
        var position = _position;
        var buffer = _buffer;
        if ((uint)(position + 1) < (uint)buffer.Length)
        {
            uint b0 = buffer[position];
            if (b0 < 0x80)
            {
                _position = position + 1;
                value = b0;
                return true;
            }

            uint b1 = buffer[position + 1];
            if (b1 < 0x80)
            {
                _position = position + 2;
                value = (b0 & 0x7F) | (b1 << 7);
                return true;
            }
        }

        return TryVarintSlow(out value);
    }

    private bool TryVarintSlow(out ulong value)
    {
        if (_buffer.Length - _position >= 10)
        {
            // A varint is at most 10 bytes: with 10 in the buffer, read without a bounds check per byte.
            var bytes = _buffer.Slice(_position, 10);
            ulong result = 0;
            for (var i = 0; i < 10; i++)
            {
                ulong b = bytes[i];
                result |= (b & 0x7F) << (7 * i);
                if (b < 0x80)
                {
                    _position += i + 1;
                    value = result;
                    return true;
                }
            }

            // Ten bytes with the continuation bit set: corrupt (as the loop below ends).
            _position += 10;
            value = 0;
            return false;
        }

        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _buffer.Length)
            {
                return false;
            }

            var b = _buffer[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }

    private bool Fail()
    {
        Failed = true;
        return false;
    }

    private T FailWith<T>(T value)
    {
        Failed = true;
        return value;
    }
}
