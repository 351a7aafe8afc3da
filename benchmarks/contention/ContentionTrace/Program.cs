using Microsoft.Diagnostics.Tracing.Etlx;

// ContentionTrace FILE.nettrace: the runtime's ContentionStart events of a dotnet-trace file
// (provider Microsoft-Windows-DotNETRuntime:0x4000:4), grouped by whose lock it was. The owner
// is the first frame, from the acquisition outwards, that is not the BCL's (System.*): the code
// that took the lock, directly or through a BCL type it owns (a Pipe, a ConcurrentDictionary).
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: ContentionTrace FILE.nettrace");
    return 2;
}

using var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(args[0]));
var byOwner = new Dictionary<string, int>(StringComparer.Ordinal);
var bySite = new Dictionary<string, int>(StringComparer.Ordinal);
var total = 0;
foreach (var e in log.Events)
{
    if (e.ProviderName != "Microsoft-Windows-DotNETRuntime" || e.EventName is not ("Contention/Start" or "ContentionStart"))
    {
        continue;
    }

    total++;
    var frames = new List<string>();
    for (var s = e.CallStack(); s is not null; s = s.Caller)
    {
        var name = s.CodeAddress.FullMethodName;
        frames.Add(string.IsNullOrEmpty(name) ? "?" : Short(name));
    }

    // Skip the lock's own frames (Monitor, Lock, the native AwareLock, unresolved native code).
    var start = frames.FindIndex(f => !(f.StartsWith("System.Threading.Monitor", StringComparison.Ordinal)
        || f.StartsWith("System.Threading.Lock", StringComparison.Ordinal)
        || f.StartsWith('?')
        || f.Contains("AwareLock", StringComparison.Ordinal)));
    start = Math.Max(start, 0);
    var site = frames.Count > start ? frames[start] : "?";
    var asker = frames.Skip(start).FirstOrDefault(f => !f.StartsWith("System.", StringComparison.Ordinal)) ?? "(System.* only)";
    var owner = asker.StartsWith("AlsAnalyzer", StringComparison.Ordinal) ? "AlsAnalyzer (ours)"
        : asker.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal) ? "Kestrel"
        : asker.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) ? "ASP.NET Core"
        : asker.StartsWith("Microsoft.Extensions.DependencyInjection", StringComparison.Ordinal) ? "DependencyInjection"
        : asker.StartsWith("Grpc.", StringComparison.Ordinal) ? "Grpc.AspNetCore"
        : asker == "(System.* only)" ? "runtime (System.* only)"
        : asker;
    byOwner[owner] = byOwner.GetValueOrDefault(owner) + 1;
    var key = $"{owner}: {site} <- {asker}";
    bySite[key] = bySite.GetValueOrDefault(key) + 1;
}

Console.WriteLine($"contention events: {total}");
foreach (var (owner, count) in byOwner.OrderByDescending(p => p.Value))
{
    Console.WriteLine($"  {count,6}  {owner}");
}

Console.WriteLine("by acquiring method <- owner's frame:");
foreach (var (site, count) in bySite.OrderByDescending(p => p.Value))
{
    Console.WriteLine($"  {count,6}  {site}");
}

return 0;

static string Short(string method)
{
    var paren = method.IndexOf('(', StringComparison.Ordinal);
    return paren > 0 ? method[..paren] : method;
}
