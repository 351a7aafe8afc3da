using System.Runtime.InteropServices;

namespace AlsAnalyzer.Server.Api;

/// <summary>
/// Lowers the calling thread's scheduling priority. .NET's <see cref="Thread.Priority"/> does
/// nothing on Linux, where a thread's priority is its own nice value (threads are tasks):
/// <c>setpriority(PRIO_PROCESS, tid, nice)</c> changes only the calling thread, and raising
/// one's own nice value needs no privilege.
/// </summary>
internal static class ThreadPriorities
{
    private const int PrioProcess = 0;

    /// <summary>Returns the nice value now in effect, or null where it is not known.</summary>
    public static int? LowerCurrentThread(int nice)
    {
        if (nice <= 0)
        {
            return 0;
        }

        if (OperatingSystem.IsLinux())
        {
            var tid = GetTid();
            if (SetPriority(PrioProcess, tid, nice) == 0)
            {
                Marshal.SetLastPInvokeError(0);
                var now = GetPriority(PrioProcess, tid);
                return Marshal.GetLastPInvokeError() == 0 ? now : null;
            }

            return null;
        }

        Thread.CurrentThread.Priority = ThreadPriority.BelowNormal;
        return null;
    }

    // Blittable signatures: no marshalling stub (and no unsafe code) is needed.
    [DllImport("libc", EntryPoint = "gettid")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetTid();

    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetPriority(int which, int who, int prio);

    [DllImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetPriority(int which, int who);
}
