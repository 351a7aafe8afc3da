using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using AlsAnalyzer.Core.Persistence;
using AlsAnalyzer.Server.Hosting;
using AlsAnalyzer.Testing;
using k8s;
using k8s.Models;

namespace AlsAnalyzer.Server.Tests.Kubernetes;

/// <summary>
/// The Dockerfile cannot be built here (no container engine): check what it declares against
/// global.json, the settings' defaults and the manifests, run its build stage's own commands on
/// the build context .dockerignore leaves, and run the output as the image runs it.
/// </summary>
public sealed partial class ContainerImageTests
{
    private static Dictionary<string, Type> Kinds => DeployManifestTests.Kinds;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Dockerfile_BuildsOnTheOfficialSdkOfGlobalJson_RunsOnTheAspNetRuntime()
    {
        var docker = Dockerfile();
        var sdk = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "global.json"))).RootElement.GetProperty("sdk").GetProperty("version").GetString();

        var from = docker.Where(i => i.Verb == "FROM").Select(i => i.Args).ToList();
        Assert.Equal(["mcr.microsoft.com/dotnet/sdk:${SDK_VERSION} AS build", "mcr.microsoft.com/dotnet/aspnet:${RUNTIME_VERSION} AS runtime"], from);
        Assert.Contains(docker, i => i.Verb == "ARG" && i.Args == "SDK_VERSION=" + sdk);
        Assert.Contains(docker, i => i.Verb == "RUN" && i.Args.Contains("dotnet publish src/AlsAnalyzer.Server/AlsAnalyzer.Server.csproj -c Release", StringComparison.Ordinal));
        Assert.Equal("[\"dotnet\", \"AlsAnalyzer.Server.dll\"]", Assert.Single(docker, i => i.Verb == "ENTRYPOINT").Args);
        Assert.True(File.Exists(Path.Combine(Repository.Root, ".dockerignore")));
    }

    [Theory]
    [InlineData("alsanalyzer.yaml")]
    [InlineData("scaled/alsanalyzer-scaled.yaml")]
    public void Manifest_MatchesTheImage_PortsProbesUserAndVolume(string manifest)
    {
        var docker = Dockerfile();
        var exposed = Assert.Single(docker, i => i.Verb == "EXPOSE").Args.Split(' ').Select(int.Parse).Order().ToList();
        var user = long.Parse(Assert.Single(docker, i => i.Verb == "USER").Args, System.Globalization.CultureInfo.InvariantCulture);
        var volume = JsonSerializer.Deserialize<string[]>(Assert.Single(docker, i => i.Verb == "VOLUME").Args)!;
        var objects = KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(Repository.Root, "deploy", "kubernetes", manifest)), Kinds);
        var deployment = Assert.Single(objects.OfType<V1Deployment>());
        var pod = deployment.Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);
        var defaults = new EndpointOptions();

        // The image the Dockerfile's own build line names.
        Assert.Contains("docker build -t " + container.Image + " .", File.ReadAllText(Path.Combine(Repository.Root, "Dockerfile")), StringComparison.Ordinal);
        Assert.Equal(new[] { defaults.HttpPort, defaults.GrpcPort }.Order().ToList(), exposed);
        Assert.Equal(exposed, container.Ports.Select(p => p.ContainerPort).Order().ToList());
        var http = container.Ports.Single(p => p.Name == "http").ContainerPort;
        Assert.Equal(defaults.HttpPort, http);
        Assert.Equal(("/readyz", "http"), (container.ReadinessProbe.HttpGet.Path, container.ReadinessProbe.HttpGet.Port.Value));
        Assert.Equal(("/healthz", "http"), (container.LivenessProbe.HttpGet.Path, container.LivenessProbe.HttpGet.Port.Value));
        Assert.Equal(user, pod.SecurityContext.RunAsUser);
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
        Assert.NotNull(Assert.Single(pod.Volumes, v => v.Name == container.VolumeMounts.Single(m => m.MountPath == "/tmp").Name).EmptyDir);

        // The snapshots: the default data directory under the runtime stage's WORKDIR, on a claim
        // the manifest makes; or, with several replicas, no snapshots at all (nothing to write).
        var workdir = docker.Last(i => i.Verb == "WORKDIR").Args;
        var dataPath = Path.Combine(workdir, new SnapshotOptions().DataDirectory);
        Assert.Contains(dataPath, volume);
        if (container.Env.Any(e => e.Name == "Als__Snapshots" && e.Value == "off"))
        {
            Assert.Equal(["/tmp"], container.VolumeMounts.Select(m => m.MountPath).ToArray());
        }
        else
        {
            Assert.Equal(volume, container.VolumeMounts.Select(m => m.MountPath).ToArray());
            var data = Assert.Single(container.VolumeMounts, m => m.MountPath == dataPath);
            var claim = Assert.Single(pod.Volumes, v => v.Name == data.Name).PersistentVolumeClaim;
            Assert.Equal(claim.ClaimName, Assert.Single(objects.OfType<V1PersistentVolumeClaim>()).Metadata.Name);
            Assert.Equal("Recreate", deployment.Spec.Strategy.Type);
        }
    }

    [Fact]
    public async Task BuildStage_OnTheContextDockerignoreLeaves_PublishesOutputThatRunsAsTheImageRunsIt_WritingOnlyIntoItsVolumes()
    {
        var work = Directory.CreateTempSubdirectory("als-image-").FullName;
        try
        {
            // The build stage as docker would run it: its COPYs from the build context (the
            // repository less what .dockerignore leaves out) into WORKDIR, then its RUNs there.
            var docker = Dockerfile();
            var build = docker.TakeWhile(i => !(i.Verb == "FROM" && i.Args.EndsWith(" AS runtime", StringComparison.Ordinal))).ToList();
            var workdir = Assert.Single(build, i => i.Verb == "WORKDIR").Args;
            var context = Path.Combine(work, "context");
            var output = Path.Combine(work, "app");
            var ignored = Dockerignore();
            foreach (var copy in build.Where(i => i.Verb == "COPY"))
            {
                var parts = copy.Args.Split(' ');
                var destination = Path.Combine(context, Path.GetRelativePath(workdir, Path.Combine(workdir, parts[^1])));
                foreach (var source in parts[..^1])
                {
                    CopyFromContext(source.TrimEnd('/'), destination, parts.Length > 2 || parts[^1].EndsWith('/'), ignored);
                }
            }

            Assert.False(Directory.Exists(Path.Combine(context, "src", "AlsAnalyzer.Server", "bin")), ".dockerignore must leave the host's build output out");
            foreach (var run in build.Where(i => i.Verb == "RUN"))
            {
                var command = run.Args.Replace(" -o /app", " -o " + output, StringComparison.Ordinal);
                var result = await ProcessResult.RunAsync("bash", ["-c", command], context, TimeSpan.FromMinutes(5), Ct);
                Assert.True(result.ExitCode == 0, command + "\n" + result.Stdout + result.Stderr);
            }

            // The runtime stage: the data directory it makes, then the ENTRYPOINT with its ENV.
            Directory.CreateDirectory(Path.Combine(output, new SnapshotOptions().DataDirectory));
            var files = Directory.GetFileSystemEntries(output, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
            var home = Directory.CreateDirectory(Path.Combine(work, "home")).FullName;
            var (grpc, http) = (FreePort(), FreePort());
            var entrypoint = JsonSerializer.Deserialize<string[]>(Assert.Single(docker, i => i.Verb == "ENTRYPOINT").Args)!;
            var start = new ProcessStartInfo(entrypoint[0], entrypoint[1..]) { WorkingDirectory = output, RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["ASPNETCORE_HTTP_PORTS"] = string.Empty;
            start.Environment["DOTNET_NOLOGO"] = "1";
            start.Environment["HOME"] = home;
            start.Environment["Als__GrpcPort"] = grpc.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["Als__HttpPort"] = http.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["Als__ListenAddress"] = "127.0.0.1";
            start.Environment["Als__Kubernetes"] = "off";
            start.Environment["Als__RetentionMinutes"] = "60";
            using var server = Process.Start(start)!;
            var log = new System.Text.StringBuilder();
            server.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            server.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            server.BeginOutputReadLine();
            server.BeginErrorReadLine();
            try
            {
                using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}"), Timeout = TimeSpan.FromSeconds(2) };
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (true)
                {
                    try
                    {
                        using var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative), Ct);
                        if (ready.StatusCode == HttpStatusCode.OK)
                        {
                            break;
                        }
                    }
                    catch (HttpRequestException)
                    {
                        // Not listening yet.
                    }

                    Assert.False(server.HasExited, "the server exited:\n" + log);
                    Assert.True(DateTime.UtcNow < deadline, "not ready within 30 s:\n" + log);
                    await Task.Delay(200, Ct);
                }

                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/healthz", UriKind.Relative), Ct)).StatusCode);

                // Stopped as the kubelet stops it; it writes its last snapshot on the way out.
                var kill = await ProcessResult.RunAsync("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], output, TimeSpan.FromSeconds(10), Ct);
                Assert.Equal(0, kill.ExitCode);
                using (var exited = CancellationTokenSource.CreateLinkedTokenSource(Ct))
                {
                    exited.CancelAfter(TimeSpan.FromSeconds(30));
                    await server.WaitForExitAsync(exited.Token);
                }

                Assert.True(server.ExitCode == 0, log.ToString());
            }
            finally
            {
                if (!server.HasExited)
                {
                    server.Kill(entireProcessTree: true);
                    await server.WaitForExitAsync(Ct);
                }
            }

            // Under a read-only root file system only the image's volumes take writes: beside the
            // published files the server wrote its snapshot into the data volume, and nothing
            // into the (read-only) home directory.
            var runtimeWorkdir = docker.Last(i => i.Verb == "WORKDIR").Args;
            var volumes = JsonSerializer.Deserialize<string[]>(Assert.Single(docker, i => i.Verb == "VOLUME").Args)!
                .Select(v => Path.GetRelativePath(runtimeWorkdir, v))
                .Where(v => !v.StartsWith("..", StringComparison.Ordinal))
                .ToList();
            var written = Directory.GetFileSystemEntries(output, "*", SearchOption.AllDirectories).Except(files).Select(f => Path.GetRelativePath(output, f)).ToList();
            Assert.NotEmpty(written);
            Assert.All(written, f => Assert.Contains(volumes, v => f.StartsWith(v + Path.DirectorySeparatorChar, StringComparison.Ordinal)));
            Assert.Empty(Directory.GetFileSystemEntries(home));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// Copies a COPY source from the build context (the repository) into the image's path, as
    /// docker does: a file to a file (or into a folder), a folder's content into the folder,
    /// leaving out what .dockerignore excludes.
    /// </summary>
    private static void CopyFromContext(string source, string destination, bool intoFolder, Func<string, bool> ignored)
    {
        var from = Path.Combine(Repository.Root, source);
        if (File.Exists(from))
        {
            Assert.False(ignored(source), source + " is copied but .dockerignore leaves it out");
            var target = intoFolder ? Path.Combine(destination, Path.GetFileName(source)) : destination;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(from, target, overwrite: true);
            return;
        }

        Assert.True(Directory.Exists(from), source + " is not in the build context");
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Repository.Root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (!ignored(relative))
            {
                var target = Path.Combine(destination, Path.GetRelativePath(from, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target, overwrite: true);
            }
        }
    }

    /// <summary>
    /// .dockerignore as docker reads it: each line a pattern over context paths (<c>*</c> and
    /// <c>?</c> within a segment, <c>**</c> across segments, <c>!</c> re-includes), the last
    /// matching line deciding; a path is left out when it or a folder above it is.
    /// </summary>
    private static Func<string, bool> Dockerignore()
    {
        var rules = File.ReadAllLines(Path.Combine(Repository.Root, ".dockerignore"))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => (Include: l.StartsWith('!'), Pattern: new Regex("^" + Glob(l.TrimStart('!').Trim('/')) + "$")))
            .ToList();
        return path =>
        {
            var segments = path.Split('/');
            var excluded = false;
            foreach (var (include, pattern) in rules)
            {
                for (var n = 1; n <= segments.Length; n++)
                {
                    if (pattern.IsMatch(string.Join('/', segments[..n])))
                    {
                        excluded = !include;
                        break;
                    }
                }
            }

            return excluded;
        };
    }

    private static string Glob(string pattern)
    {
        var regex = new System.Text.StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                var slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                regex.Append(slash ? "(.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else
            {
                regex.Append(pattern[i] switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    var c => Regex.Escape(c.ToString()),
                });
            }
        }

        return regex.ToString();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The Dockerfile's instructions, continuation lines joined, comments dropped.</summary>
    private static List<(string Verb, string Args)> Dockerfile()
    {
        var text = File.ReadAllText(Path.Combine(Repository.Root, "Dockerfile"));
        var lines = text.Split('\n').Select(l => l.TrimEnd()).Where(l => !l.TrimStart().StartsWith('#')).ToList();
        var joined = string.Join('\n', lines).Replace("\\\n", " ", StringComparison.Ordinal);
        return joined.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => Instruction().Match(l))
            .Select(m => (m.Groups[1].Value.ToUpperInvariant(), Spaces().Replace(m.Groups[2].Value.Trim(), " ")))
            .ToList();
    }

    [GeneratedRegex(@"^(\w+)\s+(.*)$")]
    private static partial Regex Instruction();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
