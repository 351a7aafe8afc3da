using AlsAnalyzer.Testing;

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

    /// <summary>tests/interop: package.json, package-lock.json and the client scripts.</summary>
    public string InteropDirectory { get; } = Path.Combine(Repository.Root, "tests", "interop");

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

    /// <summary>
    /// Runs the access log client over TLS: it trusts <paramref name="caPath"/> and presents
    /// <paramref name="certificatePath"/> and <paramref name="keyPath"/> (ALS_TLS_CA, ALS_TLS_CERT, ALS_TLS_KEY).
    /// </summary>
    public Task<ProcessResult> RunTlsAsync(Uri grpcAddress, string caPath, string? certificatePath, string? keyPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string> { ["ALS_TLS_CA"] = caPath };
        if (certificatePath is not null && keyPath is not null)
        {
            environment["ALS_TLS_CERT"] = certificatePath;
            environment["ALS_TLS_KEY"] = keyPath;
        }

        return ProcessResult.RunAsync("node", [Script, grpcAddress.ToString()], InteropDirectory, timeout, cancellationToken, environment: environment);
    }
}
