using System.Runtime.CompilerServices;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// The floor: a hand-written protobuf wire walker over the payload bytes. It reads every tag
/// and skips every value, allocating nothing; <see cref="ScanDeep"/> also descends into every
/// nested message the schema declares.
/// </summary>
internal static class ProtoScanner
{
    /// <summary>Counts the tags of the message and, recursively, of every nested message.</summary>
    public static long ScanDeep(ReadOnlySpan<byte> data, ScanSchema schema)
    {
        long tags = 0;
        var pos = 0;
        while (pos < data.Length)
        {
            var tag = ReadVarint(data, ref pos);
            tags++;
            switch ((int)(tag & 7))
            {
                case 0:
                    ReadVarint(data, ref pos);
                    break;
                case 1:
                    pos += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(data, ref pos);
                    if ((uint)length > (uint)(data.Length - pos))
                    {
                        throw new InvalidDataException("length past the end of the message");
                    }

                    if (schema.Child((int)(tag >> 3)) is { } child)
                    {
                        tags += ScanDeep(data.Slice(pos, length), child);
                    }

                    pos += length;
                    break;
                case 5:
                    pos += 4;
                    break;
                default:
                    throw new InvalidDataException("unsupported wire type");
            }
        }

        if (pos != data.Length)
        {
            throw new InvalidDataException("fixed-width value past the end of the message");
        }

        return tags;
    }

    /// <summary>
    /// The entries of a <c>StreamAccessLogsMessage</c> (fields 2 <c>http_logs</c> or 3
    /// <c>tcp_logs</c>, then their field 1): the least work that can count entries.
    /// </summary>
    public static int CountEntries(ReadOnlySpan<byte> message)
    {
        var entries = 0;
        var pos = 0;
        while (pos < message.Length)
        {
            var tag = ReadVarint(message, ref pos);
            var field = (int)(tag >> 3);
            var length = SkipValue(message, (int)(tag & 7), ref pos);
            if (field is 2 or 3 && length >= 0)
            {
                var logs = message.Slice(pos - length, length);
                var inner = 0;
                while (inner < logs.Length)
                {
                    var entryTag = ReadVarint(logs, ref inner);
                    SkipValue(logs, (int)(entryTag & 7), ref inner);
                    entries += (entryTag >> 3) == 1 ? 1 : 0;
                }
            }
        }

        return entries;
    }

    /// <summary>Skips one value; returns its length for length-delimited values, else -1.</summary>
    private static int SkipValue(ReadOnlySpan<byte> data, int wireType, ref int pos)
    {
        switch (wireType)
        {
            case 0:
                ReadVarint(data, ref pos);
                return -1;
            case 1:
                pos += 8;
                return -1;
            case 2:
                var length = (int)ReadVarint(data, ref pos);
                if ((uint)length > (uint)(data.Length - pos))
                {
                    throw new InvalidDataException("length past the end of the message");
                }

                pos += length;
                return length;
            case 5:
                pos += 4;
                return -1;
            default:
                throw new InvalidDataException("unsupported wire type");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int pos)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = data[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new InvalidDataException("varint longer than 10 bytes");
    }
}
