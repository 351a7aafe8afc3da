using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using AlsAnalyzer.Benchmarks.Corpus;

namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>
/// An independent client: h2load (Debian's nghttp2-client) replays one stream's gRPC-framed
/// body as each request. h2load only checks the HTTP status (gRPC answers 200 and puts its
/// status in trailers), so the server's /metrics are what tells whether every entry arrived.
/// Skipped with a message when h2load is not installed.
/// </summary>
internal static partial class H2LoadCheck
{
    public static async Task<List<string>> RunAsync(IReadOnlyList<ServerProcess> servers, CorpusStream stream, int requests)
    {
        var problems = new List<string>();
        var h2load = FindOnPath("h2load");
        if (h2load is null)
        {
            Console.WriteLine("h2load: not installed (apt-get install nghttp2-client); replay skipped");
            return problems;
        }

        var body = Path.Combine(Path.GetTempPath(), $"als-h2load-{Environment.ProcessId}.grpc");
        await File.WriteAllBytesAsync(body, GrpcFrames.Frame(stream.Messages.Select(m => m.Payload))).ConfigureAwait(false);
        var clients = Math.Min(4, Math.Max(1, requests / 2));
        var streamsPerClient = Math.Min(4, Math.Max(1, requests / clients));
        var ci = CultureInfo.InvariantCulture;
        try
        {
            var results = new List<Measurement>();
            foreach (var server in servers)
            {
                string output = string.Empty;
                var m = await Measurement.TakeAsync(server, 0, false, async () =>
                {
                    (output, var result) = await RunH2LoadAsync(h2load, server, body, stream, requests, clients, streamsPerClient).ConfigureAwait(false);
                    return result;
                }).ConfigureAwait(false);
                results.Add(m);
                Console.WriteLine(string.Create(ci, $"h2load {server.Mode,-9} {m.Load.EntriesPerSecond,10:N0} entries/s, server {m.ServerMicrosPerEntry:F2} CPU-us/entry ({m.ServerCores:F2} cores); {m.Load.Streams} requests x {stream.Entries} entries, {clients} connections x {streamsPerClient} streams"));
                if (m.Load.Streams != requests)
                {
                    problems.Add($"h2load {server.Mode}: {m.Load.Streams} of {requests} requests succeeded:{Environment.NewLine}{output}");
                }

                problems.AddRange(m.Problems.Select(p => $"h2load {server.Mode}: {p}"));
            }

            var discard = results.FirstOrDefault(r => r.Mode == "discard");
            foreach (var m in results.Where(r => r != discard && discard is { ServerCpu.Ticks: > 0 }))
            {
                Console.WriteLine(string.Create(ci, $"h2load {m.Mode}/discard: server CPU per entry x{m.ServerMicrosPerEntry / discard!.ServerMicrosPerEntry:F2}, throughput x{m.Load.EntriesPerSecond / discard.Load.EntriesPerSecond:F2} (one run each)"));
            }
        }
        finally
        {
            File.Delete(body);
        }

        return problems;
    }

    private static async Task<(string Output, LoadResult Result)> RunH2LoadAsync(string h2load, ServerProcess server, string body, CorpusStream stream, int requests, int clients, int streamsPerClient)
    {
        var start = new ProcessStartInfo(h2load) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            "-n", requests.ToString(CultureInfo.InvariantCulture),
            "-c", clients.ToString(CultureInfo.InvariantCulture),
            "-m", streamsPerClient.ToString(CultureInfo.InvariantCulture),
            "-d", body,
            "-H", "content-type: application/grpc",
            "-H", "te: trailers",
            $"http://127.0.0.1:{server.GrpcPort}/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs",
        })
        {
            start.ArgumentList.Add(a);
        }

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start h2load");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        var elapsed = watch.Elapsed;
        var output = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
        var done = RequestsLine().Match(output);
        var succeeded = done.Success ? int.Parse(done.Groups["ok"].Value, CultureInfo.InvariantCulture) : 0;
        var finished = FinishedLine().Match(output);
        if (finished.Success)
        {
            var value = double.Parse(finished.Groups["t"].Value, CultureInfo.InvariantCulture);
            elapsed = TimeSpan.FromSeconds(finished.Groups["unit"].Value == "ms" ? value / 1000 : value);
        }

        var messages = stream.Messages.Count;
        var bytes = stream.Messages.Sum(m => (long)m.Payload.Length);
        IReadOnlyList<string> errors = process.ExitCode == 0 ? [] : [$"h2load exited with {process.ExitCode}"];
        return (output, new LoadResult(succeeded, (long)succeeded * messages, succeeded * stream.Entries, succeeded * bytes, elapsed, TimeSpan.Zero, errors));
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    [GeneratedRegex(@"requests: (?<total>\d+) total, (?<started>\d+) started, (?<done>\d+) done, (?<ok>\d+) succeeded")]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"finished in (?<t>[\d.]+)(?<unit>m?s),")]
    private static partial Regex FinishedLine();
}
