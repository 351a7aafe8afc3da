using System.Formats.Tar;
using System.IO.Compression;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using AlsAnalyzer.Testing;
using Google.Protobuf.Reflection;
using Xunit;

[assembly: AssemblyFixture(typeof(AlsAnalyzer.Conformance.Tests.ProtoSchemas))]

namespace AlsAnalyzer.Conformance.Tests;

/// <summary>
/// Our protos/ and the official Envoy API, each compiled by protoc to a descriptor set, once per
/// test run. The official protos are never copied into the repository: they are fetched into a
/// git-ignored cache and reused from there. The Envoy API comes from <c>npm pack</c> of
/// <see cref="OfficialPackage"/> (cache: artifacts/official-protos, or $ALS_OFFICIAL_PROTOS); the
/// Prometheus client model that the Envoy metrics service imports, which that package does not
/// ship, from the Debian package <see cref="PrometheusDebianPackage"/> (cache: the official cache's
/// prometheus-client-model folder, or $ALS_PROMETHEUS_PROTOS: any folder that holds
/// io/prometheus/client/metrics.proto, a client_model checkout for one).
/// </summary>
public sealed class ProtoSchemas : IAsyncLifetime
{
    public const string OfficialPackage = "@grpc/grpc-js-xds@1.14";

    public const string PrometheusDebianPackage = "golang-github-prometheus-client-model-dev";

    public const string PrometheusProto = "io/prometheus/client/metrics.proto";

    private const string PrometheusProtoInDebianPackage = "usr/share/gocode/src/github.com/prometheus/client_model/" + PrometheusProto;

    private const string PrometheusVersionFile = "debian-package-version.txt";

    private static readonly string[] OfficialIncludeDirs = ["envoy-api", "xds", "protoc-gen-validate", "googleapis"];

    // The package ships envoy/service/accesslog/v2 and envoy/data/accesslog/v2 but not the
    // envoy/api/v2 files they import (its package.json "files" leaves envoy/api out). These
    // placeholders only name the imported types so that protoc can compile the official v2 service;
    // the comparer reports those types as unverified instead of comparing against them.
    private static readonly Dictionary<string, string> Placeholders = new()
    {
        ["envoy/api/v2/core/address.proto"] = """
            syntax = "proto3";
            package envoy.api.v2.core;
            message Address {}
            """,
        ["envoy/api/v2/core/base.proto"] = """
            syntax = "proto3";
            package envoy.api.v2.core;
            message Node {}
            message Metadata {}
            enum RequestMethod { METHOD_UNSPECIFIED = 0; }
            """,
    };

    private readonly string _repositoryRoot = Repository.Root;
    private readonly DirectoryInfo _workDir = Directory.CreateTempSubdirectory("als-conformance-");
    private string _protoc = "";
    private string _wellKnownTypes = "";

    public FileDescriptorSet Ours { get; private set; } = new();

    public FileDescriptorSet Official { get; private set; } = new();

    /// <summary>The official package's exact version, e.g. "1.14.1" (from its package.json).</summary>
    public string OfficialVersion { get; private set; } = "unknown";

    /// <summary>Where the official Prometheus client model came from, e.g. "golang-github-prometheus-client-model-dev 0.3.0-3".</summary>
    public string OfficialPrometheusVersion { get; private set; } = "unknown";

    /// <summary>Official imports missing from the package, compiled from <see cref="Placeholders"/>.</summary>
    public IReadOnlySet<string> PlaceholderFiles { get; private set; } = new HashSet<string>();

    public async ValueTask InitializeAsync()
    {
        (_protoc, _wellKnownTypes) = LocateProtoc();
        var officialCacheDir = Environment.GetEnvironmentVariable("ALS_OFFICIAL_PROTOS") is { Length: > 0 } fromEnvironment
            ? Path.GetFullPath(fromEnvironment)
            : Path.Combine(_repositoryRoot, "artifacts", "official-protos");
        var packageDir = await FetchOfficialPackageAsync(officialCacheDir);
        var prometheusDir = await FetchPrometheusClientModelAsync(officialCacheDir);
        var packageJsonPath = Path.Combine(packageDir, "package.json");
        if (File.Exists(packageJsonPath))
        {
            using var packageJson = JsonDocument.Parse(await File.ReadAllTextAsync(packageJsonPath));
            OfficialVersion = packageJson.RootElement.GetProperty("version").GetString() ?? "";
        }

        var oursDir = Path.Combine(_repositoryRoot, "protos");
        var ourFiles = Directory.EnumerateFiles(oursDir, "*.proto", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(oursDir, file).Replace('\\', '/'))
            // The remote-write messages have no counterpart in the packages fetched here; real
            // receivers (Prometheus, VictoriaMetrics) hold them to the specification instead.
            .Where(file => !file.StartsWith("prompb/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        Ours = await CompileAsync([oursDir], ourFiles);

        // Every file of ours has its official counterpart at the same path: compiling those (with
        // their imports) yields the official schema to compare with. The Prometheus folder comes
        // first, so its metrics.proto is the one compiled even if the npm package ships one some day.
        var depsDir = Path.Combine(packageDir, "deps");
        var placeholderDir = WritePlaceholders(Path.Combine(depsDir, "envoy-api"));
        Official = await CompileAsync([prometheusDir, .. OfficialIncludeDirs.Select(dir => Path.Combine(depsDir, dir)), placeholderDir], ourFiles);
    }

    public ValueTask DisposeAsync()
    {
        _workDir.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs protoc on <paramref name="files"/> (relative to the include dirs) and parses the result.</summary>
    public async Task<FileDescriptorSet> CompileAsync(IEnumerable<string> includeDirs, IEnumerable<string> files)
    {
        var output = Path.Combine(_workDir.FullName, $"{Guid.NewGuid():N}.pb");
        string[] arguments =
        [
            $"--proto_path={_wellKnownTypes}",
            .. includeDirs.Select(dir => $"--proto_path={dir}"),
            "--include_imports",
            $"--descriptor_set_out={output}",
            .. files,
        ];
        await RunAsync(_protoc, arguments, _workDir.FullName);
        return FileDescriptorSet.Parser.ParseFrom(await File.ReadAllBytesAsync(output));
    }

    private static (string Protoc, string WellKnownTypes) LocateProtoc()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var grpcTools = Path.Combine(packages, "grpc.tools", Metadata("GrpcToolsVersion"));
        var platform = OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "macosx" : "linux";
        var cpu = OperatingSystem.IsMacOS() ? "universal" : RuntimeInformation.OSArchitecture switch
        {
            Architecture.Arm64 => "arm64",
            Architecture.X86 => "x86",
            _ => "x64",
        };
        var protoc = Path.Combine(grpcTools, "tools", $"{platform}_{cpu}", OperatingSystem.IsWindows() ? "protoc.exe" : "protoc");
        if (!File.Exists(protoc))
        {
            throw new InvalidOperationException(
                $"protoc not found at {protoc}. Restore this project (it references Grpc.Tools), and set NUGET_PACKAGES if packages are not in ~/.nuget/packages.");
        }

        if (!OperatingSystem.IsWindows() && !File.GetUnixFileMode(protoc).HasFlag(UnixFileMode.UserExecute))
        {
            File.SetUnixFileMode(protoc, File.GetUnixFileMode(protoc) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        return (protoc, Path.Combine(grpcTools, "build", "native", "include"));
    }

    private async Task<string> FetchOfficialPackageAsync(string cacheDir)
    {
        var packageDir = Path.Combine(cacheDir, "package");
        if (Directory.Exists(Path.Combine(packageDir, "deps", "envoy-api")))
        {
            return packageDir;
        }

        string packOutput;
        try
        {
            var npm = OperatingSystem.IsWindows() ? "npm.cmd" : "npm";
            packOutput = await RunAsync(npm, ["pack", OfficialPackage, "--pack-destination", _workDir.FullName], _workDir.FullName);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"Could not fetch the official Envoy protos with 'npm pack {OfficialPackage}' (needs npm and the npm registry). "
                + $"Alternatively put an extracted copy of the package in {packageDir} (or set ALS_OFFICIAL_PROTOS). {e.Message}",
                e);
        }

        // Extract next to the cache, then move into place: an interrupted run leaves no half-filled cache.
        var tarball = Path.Combine(_workDir.FullName, packOutput.Trim().Split('\n')[^1].Trim());
        var staging = Path.Combine(cacheDir, $"staging-{Guid.NewGuid():N}");
        try
        {
            await ExtractProtosAsync(tarball, staging);
            Directory.Move(Path.Combine(staging, "package"), packageDir);
        }
        catch (IOException) when (Directory.Exists(Path.Combine(packageDir, "deps", "envoy-api")))
        {
            // A concurrent run filled the cache first.
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }

        return packageDir;
    }

    /// <summary>
    /// Returns a folder holding the official <see cref="PrometheusProto"/>: the cache if it has
    /// it, else the file is taken out of <see cref="PrometheusDebianPackage"/> (apt-get download,
    /// dpkg-deb -x) into the cache.
    /// </summary>
    private async Task<string> FetchPrometheusClientModelAsync(string officialCacheDir)
    {
        var cacheDir = Environment.GetEnvironmentVariable("ALS_PROMETHEUS_PROTOS") is { Length: > 0 } fromEnvironment
            ? Path.GetFullPath(fromEnvironment)
            : Path.Combine(officialCacheDir, "prometheus-client-model");
        var target = Path.Combine(cacheDir, PrometheusProto);
        var versionFile = Path.Combine(cacheDir, PrometheusVersionFile);
        if (!File.Exists(target))
        {
            var debDir = Directory.CreateDirectory(Path.Combine(_workDir.FullName, "deb")).FullName;
            var deb = await DownloadDebianPackageAsync(debDir, target);
            var extracted = Path.Combine(_workDir.FullName, "deb-extracted");
            await RunAsync("dpkg-deb", ["-x", deb, extracted], _workDir.FullName);
            var version = (await RunAsync("dpkg-deb", ["--field", deb, "Version"], _workDir.FullName)).Trim();
            var source = Path.Combine(extracted, PrometheusProtoInDebianPackage);
            if (!File.Exists(source))
            {
                throw new InvalidOperationException($"{Path.GetFileName(deb)} no longer holds /{PrometheusProtoInDebianPackage}: update {nameof(PrometheusProtoInDebianPackage)}.");
            }

            // Copy next to the target, then rename into place: an interrupted run leaves no half-written file.
            var staging = Path.Combine(cacheDir, $"staging-{Guid.NewGuid():N}");
            try
            {
                Directory.CreateDirectory(staging);
                var staged = Path.Combine(staging, "metrics.proto");
                File.Copy(source, staged);
                await File.WriteAllTextAsync(versionFile, $"{PrometheusDebianPackage} {version}");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(staged, target);
            }
            catch (IOException) when (File.Exists(target))
            {
                // A concurrent run filled the cache first.
            }
            finally
            {
                if (Directory.Exists(staging))
                {
                    Directory.Delete(staging, recursive: true);
                }
            }
        }

        OfficialPrometheusVersion = File.Exists(versionFile)
            ? (await File.ReadAllTextAsync(versionFile)).Trim()
            : $"unknown ({cacheDir})";
        return cacheDir;
    }

    /// <summary>apt-get download into <paramref name="destination"/>; when apt knows no such package
    /// (its lists were never fetched, as on a fresh machine), apt-get update first if root.</summary>
    private static async Task<string> DownloadDebianPackageAsync(string destination, string cachedProto)
    {
        var alternative = $"Alternatively put the official {PrometheusProto} at {cachedProto} (or set ALS_PROMETHEUS_PROTOS to a folder holding {PrometheusProto}).";
        string[] download = ["download", PrometheusDebianPackage];
        try
        {
            await RunAsync("apt-get", download, destination);
        }
        catch (Exception first) when (first is InvalidOperationException or TimeoutException)
        {
            if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
            {
                // Most likely the apt lists are missing (a fresh machine), and only root may fetch them.
                throw new InvalidOperationException(
                    $"Could not fetch the official Prometheus client model with 'apt-get download {PrometheusDebianPackage}' (needs Debian's apt and its package lists). "
                    + "Not running as root, the tests do not run 'apt-get update' themselves: run 'sudo apt-get update' and try again. "
                    + $"{alternative} {first.Message}",
                    first);
            }

            try
            {
                await RunAsync("apt-get", ["update"], destination, TimeSpan.FromMinutes(5));
                await RunAsync("apt-get", download, destination);
            }
            catch (Exception second) when (second is InvalidOperationException or TimeoutException)
            {
                throw new InvalidOperationException(
                    $"Could not fetch the official Prometheus client model with 'apt-get update' and 'apt-get download {PrometheusDebianPackage}' "
                    + $"(needs Debian's apt and its package registry). {alternative} {second.Message}",
                    second);
            }
        }

        return Directory.GetFiles(destination, "*.deb") switch
        {
            [var deb] => deb,
            var debs => throw new InvalidOperationException($"'apt-get download {PrometheusDebianPackage}' left {debs.Length} .deb files in {destination}."),
        };
    }

    /// <summary>Extracts package/package.json and the .proto files under package/deps/.</summary>
    private static async Task ExtractProtosAsync(string tarball, string destination)
    {
        await using var file = File.OpenRead(tarball);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        await using var reader = new TarReader(gzip);
        var root = Path.GetFullPath(destination) + Path.DirectorySeparatorChar;
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            var wanted = entry.Name == "package/package.json"
                || (entry.Name.StartsWith("package/deps/", StringComparison.Ordinal) && entry.Name.EndsWith(".proto", StringComparison.Ordinal));
            var target = Path.GetFullPath(Path.Combine(root, entry.Name));
            if (!wanted || entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || !target.StartsWith(root, StringComparison.Ordinal))
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await entry.ExtractToFileAsync(target, overwrite: true);
        }
    }

    private string WritePlaceholders(string officialEnvoyApi)
    {
        var placeholderDir = Path.Combine(_workDir.FullName, "placeholders");
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (file, content) in Placeholders.Where(placeholder => !File.Exists(Path.Combine(officialEnvoyApi, placeholder.Key))))
        {
            var path = Path.Combine(placeholderDir, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
            written.Add(file);
        }

        PlaceholderFiles = written;
        return placeholderDir;
    }

    /// <summary>Runs a tool to its end (two minutes at most unless <paramref name="timeLimit"/> says otherwise); its output, or an exception with its error output.</summary>
    private static async Task<string> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan? timeLimit = null)
    {
        var result = await ProcessResult.RunAsync(fileName, arguments, workingDirectory, timeLimit ?? TimeSpan.FromMinutes(2), CancellationToken.None);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{result.CommandLine}' exited with code {result.ExitCode}:{Environment.NewLine}{result.Stderr}");
        }

        return result.Stdout;
    }

    private static string Metadata(string key) =>
        typeof(ProtoSchemas).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(attribute => attribute.Key == key).Value
        ?? throw new InvalidOperationException($"Assembly metadata {key} is empty: see the test project's csproj.");
}
