using System.Diagnostics;
using System.Globalization;

namespace AlsAnalyzer.Benchmarks.EndToEnd;

/// <summary>Another process's CPU time and memory, from Linux's /proc.</summary>
internal static class ProcInfo
{
    private static readonly Lazy<int> ClockTicks = new(ReadClockTicks);

    /// <summary>Clock ticks per second (<c>getconf CLK_TCK</c>, 100 when it cannot be asked).</summary>
    public static int TicksPerSecond => ClockTicks.Value;

    /// <summary>utime + stime of <paramref name="pid"/>, in clock ticks.</summary>
    public static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");

        // pid (comm) state ppid ... : comm may hold spaces, so count from the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    public static TimeSpan CpuTime(int pid) => TimeSpan.FromSeconds(CpuTicks(pid) / (double)TicksPerSecond);

    /// <summary>A <c>kB</c> line of /proc/PID/status: <c>VmRSS</c> (resident now) or <c>VmHWM</c> (peak resident).</summary>
    public static long StatusKb(int pid, string key)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no {key}");
    }

    public static string MachineDescription()
    {
        var model = "unknown CPU";
        try
        {
            model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? model;
        }
        catch (IOException)
        {
        }

        return $"{Environment.ProcessorCount} cores ({model}), .NET {Environment.Version}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC";
    }

    private static int ReadClockTicks()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true, UseShellExecute = false });
            if (p is null)
            {
                return 100;
            }

            var text = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks) && ticks > 0 ? ticks : 100;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 100;
        }
    }
}
