using System.ComponentModel;
using System.Diagnostics;
using System.Reflection;

[assembly: AssemblyFixture(typeof(AlsAnalyzer.Interop.Tests.NodeClient))]

namespace AlsAnalyzer.Interop.Tests;

/// <summary>
/// The Node.js clients in tests/interop (access log service, metrics service): @grpc/grpc-js with
/// the official Envoy protos of @grpc/grpc-js-xds. Installs their packages once per test run
/// (<c>npm ci</c>, from the committed package-lock.json) when node_modules is missing or older
/// than the lock file.
/// </summary>
public sealed class NodeClient : IAsyncLifetime
{
    public const string Script = "als-client.mjs";

    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The repository's root folder (from the test project's assembly metadata).</summary>
    public static string RepositoryRoot { get; } = typeof(NodeClient).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(attribute => attribute.Key == "RepositoryRoot").Value
        ?? throw new InvalidOperationException("Assembly metadata RepositoryRoot is empty: see the test project's csproj.");

    /// <summary>tests/interop: package.json, package-lock.json and the client scripts.</summary>
    public string InteropDirectory { get; } = Path.Combine(RepositoryRoot, "tests", "interop");

    public async ValueTask InitializeAsync()
    {
        var nodeModules = Path.Combine(InteropDirectory, "node_modules");
        var hiddenLock = Path.Combine(nodeModules, ".package-lock.json");
        var officialProto = Path.Combine(nodeModules, "@grpc", "grpc-js-xds", "deps", "envoy-api", "envoy", "service", "accesslog", "v3", "als.proto");
        var officialMetricsProto = Path.Combine(nodeModules, "@grpc", "grpc-js-xds", "deps", "envoy-api", "envoy", "service", "metrics", "v3", "metrics_service.proto");
        var installed = File.Exists(hiddenLock)
            && File.Exists(officialProto)
            && File.Exists(officialMetricsProto)
            && File.GetLastWriteTimeUtc(hiddenLock) >= File.GetLastWriteTimeUtc(Path.Combine(InteropDirectory, "package-lock.json"));
        if (installed)
        {
            return;
        }

        var npm = OperatingSystem.IsWindows() ? "npm.cmd" : "npm";
        ProcessResult result;
        try
        {
            result = await ProcessResult.RunAsync(npm, ["ci", "--no-audit", "--no-fund"], InteropDirectory, InstallTimeout, CancellationToken.None);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"The interop test needs Node.js and npm on PATH to install {InteropDirectory}: {e.Message}", e);
        }

        if (result.ExitCode != 0 || !File.Exists(officialProto) || !File.Exists(officialMetricsProto))
        {
            throw new InvalidOperationException($"'npm ci' in {InteropDirectory} failed (needs the npm registry).{Environment.NewLine}{result}");
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Runs the access log client against <paramref name="grpcAddress"/> and returns its exit code and output.</summary>
    public Task<ProcessResult> RunAsync(Uri grpcAddress, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunAsync(Script, [grpcAddress.ToString()], timeout, cancellationToken);

    /// <summary>Runs <paramref name="script"/> (a file in tests/interop) with <paramref name="arguments"/> and returns its exit code and output.</summary>
    public Task<ProcessResult> RunAsync(string script, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken) =>
        ProcessResult.RunAsync("node", [script, .. arguments], InteropDirectory, timeout, cancellationToken);
}

/// <summary>A finished child process: exit code and everything it printed.</summary>
public sealed record ProcessResult(string CommandLine, int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Runs a process to its end; kills it (and its children) on timeout or cancellation.</summary>
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        var commandLine = $"{fileName} {string.Join(' ', startInfo.ArgumentList)}";
        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Could not start '{commandLine}': {e.Message}", e);
        }

        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException(
                $"'{commandLine}' did not finish within {timeout.TotalSeconds:0} s.{Environment.NewLine}stdout:{Environment.NewLine}{await stdout}{Environment.NewLine}stderr:{Environment.NewLine}{await stderr}");
        }

        return new ProcessResult(commandLine, process.ExitCode, await stdout, await stderr);
    }

    public override string ToString() =>
        $"'{CommandLine}' exited with code {ExitCode}.{Environment.NewLine}stdout:{Environment.NewLine}{Stdout}{Environment.NewLine}stderr:{Environment.NewLine}{Stderr}";
}
