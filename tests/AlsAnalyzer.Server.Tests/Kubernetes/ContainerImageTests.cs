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
/// global.json, the settings' defaults and the manifest, and that its published output runs
/// as the image runs it.
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

    [Fact]
    public void Manifest_MatchesTheImage_PortsProbesUserAndVolume()
    {
        var docker = Dockerfile();
        var exposed = Assert.Single(docker, i => i.Verb == "EXPOSE").Args.Split(' ').Select(int.Parse).Order().ToList();
        var user = long.Parse(Assert.Single(docker, i => i.Verb == "USER").Args, System.Globalization.CultureInfo.InvariantCulture);
        var volume = JsonSerializer.Deserialize<string[]>(Assert.Single(docker, i => i.Verb == "VOLUME").Args)!;
        var objects = KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(Repository.Root, "deploy", "kubernetes", "alsanalyzer.yaml")), Kinds);
        var deployment = Assert.Single(objects.OfType<V1Deployment>());
        var pod = deployment.Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);
        var defaults = new EndpointOptions();

        Assert.Equal(new[] { defaults.HttpPort, defaults.GrpcPort }.Order().ToList(), exposed);
        Assert.Equal(exposed, container.Ports.Select(p => p.ContainerPort).Order().ToList());
        var http = container.Ports.Single(p => p.Name == "http").ContainerPort;
        Assert.Equal(defaults.HttpPort, http);
        Assert.Equal(("/readyz", "http"), (container.ReadinessProbe.HttpGet.Path, container.ReadinessProbe.HttpGet.Port.Value));
        Assert.Equal(("/healthz", "http"), (container.LivenessProbe.HttpGet.Path, container.LivenessProbe.HttpGet.Port.Value));
        Assert.Equal(user, pod.SecurityContext.RunAsUser);
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
        Assert.Equal(volume, container.VolumeMounts.Select(m => m.MountPath).ToArray());
        Assert.NotNull(Assert.Single(pod.Volumes, v => v.Name == container.VolumeMounts.Single(m => m.MountPath == "/tmp").Name).EmptyDir);

        // The snapshots: the default data directory under the runtime stage's WORKDIR, on a claim the manifest makes.
        var workdir = docker.Last(i => i.Verb == "WORKDIR").Args;
        var data = Assert.Single(container.VolumeMounts, m => m.MountPath == Path.Combine(workdir, new SnapshotOptions().DataDirectory));
        var claim = Assert.Single(pod.Volumes, v => v.Name == data.Name).PersistentVolumeClaim;
        Assert.Equal(claim.ClaimName, Assert.Single(objects.OfType<V1PersistentVolumeClaim>()).Metadata.Name);
        Assert.Equal("Recreate", deployment.Spec.Strategy.Type);
    }

    [Fact]
    public async Task PublishedOutput_RunsAsTheImageRunsIt_AndWritesNothingBesideItself()
    {
        var output = Directory.CreateTempSubdirectory("als-publish-").FullName;
        try
        {
            var publish = await ProcessResult.RunAsync(
                "dotnet",
                ["publish", Path.Combine("src", "AlsAnalyzer.Server", "AlsAnalyzer.Server.csproj"), "-c", "Release", "-o", output, "--nologo"],
                Repository.Root,
                TimeSpan.FromMinutes(5),
                Ct);
            Assert.True(publish.ExitCode == 0, publish.Stdout + publish.Stderr);
            var files = Directory.GetFileSystemEntries(output, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
            var (grpc, http) = (FreePort(), FreePort());

            // As the Dockerfile's ENTRYPOINT and ENV, with the manifest's settings.
            var start = new ProcessStartInfo("dotnet", ["AlsAnalyzer.Server.dll"]) { WorkingDirectory = output, RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["ASPNETCORE_HTTP_PORTS"] = string.Empty;
            start.Environment["DOTNET_NOLOGO"] = "1";
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
                Assert.Equal(files, Directory.GetFileSystemEntries(output, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList());
            }
            finally
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync(Ct);
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
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
