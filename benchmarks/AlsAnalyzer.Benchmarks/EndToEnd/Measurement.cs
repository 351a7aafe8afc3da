namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>One measured load run against one server: what was sent, and the server's CPU time meanwhile.</summary>
internal sealed record Measurement(string Mode, int Round, LoadResult Load, TimeSpan ServerCpu, IReadOnlyList<string> Problems)
{
    public double ServerMicrosPerEntry => ServerCpu.TotalMicroseconds / Math.Max(1, Load.Entries);

    public double ClientMicrosPerEntry => Load.ClientCpu.TotalMicroseconds / Math.Max(1, Load.Entries);

    /// <summary>Server cores busy on average during the run.</summary>
    public double ServerCores => ServerCpu.TotalSeconds / Math.Max(Load.Elapsed.TotalSeconds, 1e-9);

    /// <summary>Measures one load run: server CPU ticks and /metrics around it, accounting checked.</summary>
    /// <param name="mapsEveryPeer">The server maps every entry's peers (mx-mesh metadata or the Kubernetes index): no entry may be unattributed.</param>
    public static async Task<Measurement> TakeAsync(ServerProcess server, int round, bool mapsEveryPeer, Func<Task<LoadResult>> load)
    {
        var before = await server.ScrapeAsync().ConfigureAwait(false);
        var cpuBefore = server.CpuTicks;
        var result = await load().ConfigureAwait(false);
        var cpuAfter = server.CpuTicks;
        var after = await server.ScrapeAsync().ConfigureAwait(false);
        var problems = after.Minus(before).Check(server.IngestMode, result.Messages, result.Entries, mapsEveryPeer);
        problems.AddRange(result.Errors.Take(3).Select(e => "stream error: " + e));
        return new Measurement(server.Mode, round, result, TimeSpan.FromSeconds((cpuAfter - cpuBefore) / (double)ProcInfo.TicksPerSecond), problems);
    }
}
