using System.Globalization;

namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>What a load run sent, and how long until the server had answered every stream.</summary>
internal sealed record LoadResult(int Streams, long Messages, long Entries, long Bytes, TimeSpan Elapsed, TimeSpan ClientCpu, IReadOnlyList<string> Errors)
{
    public double EntriesPerSecond => Entries / Math.Max(Elapsed.TotalSeconds, 1e-9);

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Streams} streams sent {Messages:N0} messages, {Entries:N0} entries ({Bytes / 1e6:F1} MB) in {Elapsed.TotalSeconds:F2} s = {EntriesPerSecond:N0} entries/s; client CPU {ClientCpu.TotalSeconds:F2} s{(Errors.Count > 0 ? $"; {Errors.Count} stream errors, first: {Errors[0]}" : string.Empty)}");
}
