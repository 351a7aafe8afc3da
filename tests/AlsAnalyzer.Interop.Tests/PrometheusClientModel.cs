using AlsAnalyzer.Testing;

namespace AlsAnalyzer.Interop.Tests;

/// <summary>
/// The official Prometheus client model, <c>io/prometheus/client/metrics.proto</c> (proto2), that
/// the Envoy metrics service imports and that @grpc/grpc-js-xds does not ship. It is never copied
/// into the repository: it is taken out of the Debian package <see cref="DebianPackage"/>
/// (<c>apt-get download</c>, <c>dpkg-deb -x</c>) into the git-ignored cache that the conformance
/// tests fill the same way, <c>artifacts/official-protos/prometheus-client-model</c> (or
/// <c>$ALS_OFFICIAL_PROTOS/prometheus-client-model</c>, or <c>$ALS_PROMETHEUS_PROTOS</c>: any folder
/// that holds <c>io/prometheus/client/metrics.proto</c>), and reused from there.
/// </summary>
public sealed class PrometheusClientModel : IAsyncLifetime
{
    public const string DebianPackage = "golang-github-prometheus-client-model-dev";

    public const string Proto = "io/prometheus/client/metrics.proto";

    private const string ProtoInDebianPackage = "usr/share/gocode/src/github.com/prometheus/client_model/" + Proto;

    /// <summary>Next to the proto in the cache: "<see cref="DebianPackage"/> version", as the conformance tests write it.</summary>
    private const string VersionFile = "debian-package-version.txt";

    private static readonly TimeSpan AptTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The include directory: it holds <see cref="Proto"/>.</summary>
    public string IncludeDirectory { get; private set; } = string.Empty;

    /// <summary>Where the proto came from, e.g. "golang-github-prometheus-client-model-dev 0.3.0-3".</summary>
    public string Origin { get; private set; } = "unknown";

    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        IncludeDirectory = Environment.GetEnvironmentVariable("ALS_PROMETHEUS_PROTOS") is { Length: > 0 } prometheusFromEnvironment
            ? Path.GetFullPath(prometheusFromEnvironment)
            : Path.Combine(
                Environment.GetEnvironmentVariable("ALS_OFFICIAL_PROTOS") is { Length: > 0 } officialFromEnvironment
                    ? Path.GetFullPath(officialFromEnvironment)
                    : Path.Combine(Repository.Root, "artifacts", "official-protos"),
                "prometheus-client-model");
        var target = Path.Combine(IncludeDirectory, Proto);
        if (!File.Exists(target))
        {
            await FetchAsync(IncludeDirectory, target, cancellationToken);
        }

        var versionFile = Path.Combine(IncludeDirectory, VersionFile);
        Origin = File.Exists(versionFile)
            ? (await File.ReadAllTextAsync(versionFile, cancellationToken)).Trim()
            : $"unknown ({IncludeDirectory})";
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static async Task FetchAsync(string cacheDirectory, string target, CancellationToken cancellationToken)
    {
        var work = Directory.CreateTempSubdirectory("als-interop-prometheus-");
        try
        {
            var deb = await DownloadAsync(work.FullName, target, cancellationToken);
            if (deb is null)
            {
                return;
            }

            var extracted = Path.Combine(work.FullName, "extracted");
            await RunAsync("dpkg-deb", ["-x", deb, extracted], work.FullName, cancellationToken);
            var version = (await RunAsync("dpkg-deb", ["--field", deb, "Version"], work.FullName, cancellationToken)).Trim();
            var source = Path.Combine(extracted, ProtoInDebianPackage);
            if (!File.Exists(source))
            {
                throw new InvalidOperationException($"{Path.GetFileName(deb)} no longer holds /{ProtoInDebianPackage}: update {nameof(ProtoInDebianPackage)}.");
            }

            // Staged in the cache, then renamed into place: neither an interrupted run nor one
            // filling the cache at the same time (the conformance tests) leaves a half-written file.
            var staging = Directory.CreateDirectory(Path.Combine(cacheDirectory, $"staging-{Guid.NewGuid():N}")).FullName;
            try
            {
                var stagedVersion = Path.Combine(staging, VersionFile);
                await File.WriteAllTextAsync(stagedVersion, $"{DebianPackage} {version}", cancellationToken);
                File.Move(stagedVersion, Path.Combine(cacheDirectory, VersionFile), overwrite: true);

                var stagedProto = Path.Combine(staging, "metrics.proto");
                File.Copy(source, stagedProto);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(stagedProto, target);
            }
            catch (IOException) when (File.Exists(target))
            {
                // Another run filled the cache first.
            }
            finally
            {
                Directory.Delete(staging, recursive: true);
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>
    /// <c>apt-get download</c> into <paramref name="destination"/>; when that finds nothing (apt's
    /// package lists were never fetched, as on a fresh machine), <c>apt-get update</c> first if
    /// root. Returns the .deb, or null when another run filled the cache meanwhile.
    /// </summary>
    private static async Task<string?> DownloadAsync(string destination, string target, CancellationToken cancellationToken)
    {
        var alternative = $"Alternatively put the official {Proto} at {target} (or set ALS_PROMETHEUS_PROTOS to a folder holding {Proto}).";
        string[] download = ["download", DebianPackage];
        var first = await AptGetAsync(download, destination, alternative, cancellationToken);
        if (first.ExitCode != 0)
        {
            if (File.Exists(target))
            {
                return null;
            }

            if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
            {
                throw new InvalidOperationException(
                    $"Could not fetch the official Prometheus client model with 'apt-get download {DebianPackage}' (needs Debian's apt and its package lists). "
                    + $"Not running as root, the test does not run 'apt-get update' itself: run 'sudo apt-get update' and try again. {alternative}{Environment.NewLine}{first}");
            }

            var update = await AptGetAsync(["update"], destination, alternative, cancellationToken);
            var second = await AptGetAsync(download, destination, alternative, cancellationToken);
            if (second.ExitCode != 0)
            {
                if (File.Exists(target))
                {
                    return null;
                }

                throw new InvalidOperationException(
                    $"Could not fetch the official Prometheus client model with 'apt-get update' and 'apt-get download {DebianPackage}' "
                    + $"(needs Debian's apt and its package registry). {alternative}{Environment.NewLine}{first}{Environment.NewLine}{update}{Environment.NewLine}{second}");
            }
        }

        return Directory.GetFiles(destination, "*.deb") switch
        {
            [var deb] => deb,
            var debs => throw new InvalidOperationException($"'apt-get download {DebianPackage}' left {debs.Length} .deb files in {destination}."),
        };
    }

    private static async Task<ProcessResult> AptGetAsync(string[] arguments, string workingDirectory, string alternative, CancellationToken cancellationToken)
    {
        try
        {
            return await ProcessResult.RunAsync("apt-get", arguments, workingDirectory, AptTimeout, cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"The metrics interop test takes the official {Proto} out of Debian's {DebianPackage}, which needs apt-get: {e.Message} {alternative}", e);
        }
    }

    private static async Task<string> RunAsync(string fileName, string[] arguments, string workingDirectory, CancellationToken cancellationToken)
    {
        var result = await ProcessResult.RunAsync(fileName, arguments, workingDirectory, TimeSpan.FromMinutes(2), cancellationToken);
        return result.ExitCode == 0 ? result.Stdout : throw new InvalidOperationException(result.ToString());
    }
}
