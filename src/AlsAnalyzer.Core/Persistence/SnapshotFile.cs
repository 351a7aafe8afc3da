using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Google.Protobuf;
using AlsAnalyzer.Core.Persistence.Format;

namespace AlsAnalyzer.Core.Persistence;

/// <summary>
/// The snapshot file: a 32-byte header, then the payload (length-delimited <see cref="Section"/>
/// messages, see snapshot.proto). The header holds a magic, the format version, the payload's
/// length and its XxHash64, so a file that is not ours, of another version, cut short or
/// changed is recognised before anything in it is used. Written atomically: to a temporary
/// file in the same folder, flushed to disk, renamed over the previous snapshot, and the folder
/// flushed, so a crash at any point leaves the previous snapshot or the new one, whole.
/// </summary>
internal static class SnapshotFile
{
    public const string FileName = "aggregates.snapshot";
    public const int Version = 1;
    public const int HeaderBytes = 32;

    // "ALSSNAP" and a NUL: the file says what it is to whoever opens it.
    private static ReadOnlySpan<byte> Magic => "ALSSNAP\0"u8;

    /// <summary>
    /// Writes <paramref name="writePayload"/>'s sections to <paramref name="path"/> atomically;
    /// returns the file's size. The payload is written (and hashed) section by section, never
    /// held whole in memory. <paramref name="afterPayload"/> runs once the payload is in the
    /// page cache, before the (slow) flush to disk: a caller holding a lock releases it there.
    /// </summary>
    public static long Write(string path, Action<SectionWriter> writePayload, Action? afterPayload = null)
    {
        var temp = path + ".tmp";
        long size;
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                file.Write(new byte[HeaderBytes]);
                using var writer = new SectionWriter(file);
                try
                {
                    writePayload(writer);
                }
                finally
                {
                    afterPayload?.Invoke();
                }

                Span<byte> header = stackalloc byte[HeaderBytes];
                Magic.CopyTo(header);
                BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
                BinaryPrimitives.WriteInt32LittleEndian(header[12..], HeaderBytes);
                BinaryPrimitives.WriteInt64LittleEndian(header[16..], writer.PayloadBytes);
                BinaryPrimitives.WriteUInt64LittleEndian(header[24..], writer.Hash);
                file.Position = 0;
                file.Write(header);
                file.Flush(flushToDisk: true);
                size = file.Length;
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }

        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return size;
    }

    /// <summary>
    /// Opens <paramref name="path"/> and checks its header and hash; on success the stream is
    /// positioned at the payload. Throws <see cref="SnapshotFormatException"/> naming what is wrong.
    /// </summary>
    public static FileStream OpenVerified(string path, out long payloadBytes)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            Span<byte> header = stackalloc byte[HeaderBytes];
            if (file.Length < HeaderBytes || file.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes)
            {
                throw new SnapshotFormatException($"{file.Length} bytes, shorter than the {HeaderBytes}-byte header");
            }

            if (!header[..8].SequenceEqual(Magic))
            {
                throw new SnapshotFormatException("not a snapshot file (wrong magic)");
            }

            var version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
            if (version != Version)
            {
                throw new SnapshotFormatException($"format version {version}; this build reads version {Version}");
            }

            payloadBytes = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
            var expectedHash = BinaryPrimitives.ReadUInt64LittleEndian(header[24..]);
            if (BinaryPrimitives.ReadInt32LittleEndian(header[12..]) != HeaderBytes || payloadBytes != file.Length - HeaderBytes)
            {
                throw new SnapshotFormatException($"the header announces {payloadBytes} payload bytes, the file holds {file.Length - HeaderBytes} (cut short or appended to)");
            }

            var hash = new XxHash64();
            var buffer = new byte[1 << 16];
            int read;
            while ((read = file.Read(buffer)) > 0)
            {
                hash.Append(buffer.AsSpan(0, read));
            }

            if (hash.GetCurrentHashAsUInt64() != expectedHash)
            {
                throw new SnapshotFormatException("the payload's checksum does not match (the file was changed or damaged)");
            }

            file.Position = HeaderBytes;
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads the sections of a verified payload, in order.</summary>
    public static IEnumerable<Section> ReadSections(Stream payload, long payloadBytes)
    {
        var end = payload.Position + payloadBytes;
        while (payload.Position < end)
        {
            Section section;
            try
            {
                section = Section.Parser.ParseDelimitedFrom(payload);
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new SnapshotFormatException("a section does not parse: " + ex.Message);
            }

            yield return section;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Flushes the folder itself, so the rename survives a power loss (POSIX keeps directory
    /// entries in the folder's own data). Only where a folder can be opened and fsynced.
    /// </summary>
    private static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        var fd = Posix.Open(directory, 0);
        if (fd < 0)
        {
            throw new IOException($"Could not open '{directory}' to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Posix.Fsync(fd) != 0)
            {
                throw new IOException($"Could not flush '{directory}' (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Posix.Close(fd);
        }
    }

    /// <summary>Writes sections, each length-delimited, hashing what it writes.</summary>
    internal sealed class SectionWriter(Stream output) : IDisposable
    {
        private readonly XxHash64 _hash = new();
        private readonly MemoryStream _buffer = new();

        public long PayloadBytes { get; private set; }

        public ulong Hash => _hash.GetCurrentHashAsUInt64();

        public void Write(Section section)
        {
            _buffer.SetLength(0);
            section.WriteDelimitedTo(_buffer);
            var bytes = _buffer.GetBuffer().AsSpan(0, (int)_buffer.Length);
            _hash.Append(bytes);
            output.Write(bytes);
            PayloadBytes += bytes.Length;
        }

        public void Dispose() => _buffer.Dispose();
    }

    private static class Posix
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Fsync(int fd);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int fd);
    }
}

/// <summary>A snapshot file that cannot be used: not ours, another version, cut short, or damaged.</summary>
internal sealed class SnapshotFormatException(string message) : Exception(message);
