using System.Net;
using AlsAnalyzer.Core.Ingest;
using AlsAnalyzer.Server.Api;
using AlsAnalyzer.Server.Ingest;
using AlsAnalyzer.Server.IstioMetrics;
using AlsAnalyzer.Server.Metrics;
using AlsAnalyzer.Server.Security;
using System.Net.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Hosting;

/// <summary>Builds the service: Program runs it, functional tests run the same host on loopback.</summary>
internal static class AlsHost
{
    /// <summary>
    /// Composes the subsystems and validates every setting (throwing one
    /// <see cref="OptionsValidationException"/> that lists every problem).
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        var configuration = builder.Configuration;
        AlsSettings.AddSkyWalkingAliases(configuration, Environment.GetEnvironmentVariable);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services
            .AddAlsSettings<EndpointOptions>(configuration)
            .AddAlsSettings<ShutdownOptions>(configuration)
            .AddAlsIngest(configuration)
            .AddAlsAnalysis(configuration)
            .AddAlsAggregation(configuration)
            .AddAlsIstioMetrics(configuration)
            .AddAlsSnapshots(configuration)
            .AddAlsKubernetes(configuration)
            .AddAlsMetricsService(configuration)
            .AddAlsApi(configuration)
            .AddAlsSecurity(configuration);
        builder.Services.AddSingleton<BoundEndpoints>();
        builder.WebHost.ConfigureKestrel((_, kestrel) => ConfigureEndpoints(kestrel));

        // The whole stop (streams drained, Kestrel closed, last fold and snapshot) fits in the drain time.
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) => host.ShutdownTimeout = shutdown.Value.Drain);

        customize?.Invoke(builder);

        // Building the host configures Kestrel (ConfigureEndpoints), which validates every setting first.
        var app = builder.Build();
        app.UseRouting();
        app.UseAlsPortAccess();
        app.MapGrpcService<AccessLogIngestService>();
        app.MapGrpcService<MetricsIngestService>();
        app.MapGrpcHealthChecksService();
        app.MapAlsApi();
        app.MapAlsIstioMetrics();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            // Every component's series exist from the first scrape, before its first use.
            _ = app.Services.GetServices<ISelfMetricsComponent>().ToList();
            var bound = app.Services.GetRequiredService<BoundEndpoints>();
            Log.Listening(app.Logger, bound.GrpcEndPoint.ToString(), bound.HttpEndPoint.ToString());
        });

        // Before Kestrel stops (it then refuses new connections and streams and waits for the
        // open ones): have the read loops end their streams once they read what was sent.
        app.Lifetime.ApplicationStopping.Register(() => app.Services.GetRequiredService<IngestDrain>().Begin());
        return app;
    }

    private static void ConfigureEndpoints(KestrelServerOptions kestrel)
    {
        // Kestrel is configured while the host is built, before anything else reads a setting:
        // validate them all here, so every problem is reported at once.
        var services = kestrel.ApplicationServices;
        AlsSettings.ValidateAll(services);
        var endpoints = services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        var ingest = services.GetRequiredService<IOptions<IngestOptions>>().Value;
        var security = services.GetRequiredService<IOptions<SecurityOptions>>().Value;
        var bound = services.GetRequiredService<BoundEndpoints>();
        var ingestMetrics = services.GetRequiredService<IngestStreamMetrics>();
        var prefaceTimeout = TimeSpan.FromSeconds(ingest.PrefaceTimeoutSeconds);
        var preface = new Http2PrefaceCheck(ingestMetrics, services.GetRequiredService<ILogger<Http2PrefaceCheck>>(), prefaceTimeout);
        var limit = new ConnectionLimit(security.MaxConnectionsPerIp, ingestMetrics, services.GetRequiredService<ILogger<ConnectionLimit>>());
        var tls = security.TlsEnabled
            ? new TlsGate(services.GetRequiredService<CertificateStore>(), ingestMetrics, services.GetRequiredService<ILogger<TlsGate>>(), prefaceTimeout)
            : null;
        kestrel.Limits.Http2.MaxStreamsPerConnection = ingest.MaxStreamsPerConnection;
        kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(security.IdleConnectionTimeoutSeconds);
        kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(60);
        kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
        kestrel.AddServerHeader = false;
        Listen(kestrel, endpoints.ListenAddress, endpoints.GrpcPort, listen =>
        {
            // Cleartext gRPC needs an HTTP/2-only endpoint: Http1AndHttp2 without TLS speaks HTTP/1.1.
            listen.Protocols = HttpProtocols.Http2;
            listen.Use(next => connection => limit.InvokeAsync(connection, next));
            tls?.Apply(listen, security.ClientCertificatesRequired, SslApplicationProtocol.Http2, counted: true);
            listen.Use(next => connection => preface.InvokeAsync(connection, next));
            bound.Grpc = listen;
        });
        Listen(kestrel, endpoints.ListenAddress, endpoints.HttpPort, listen =>
        {
            // Cleartext HTTP/2 needs prior knowledge, which browsers and curl do not use by default: HTTP/1.1 only.
            listen.Protocols = HttpProtocols.Http1;
            tls?.Apply(listen, requireClientCertificate: false, SslApplicationProtocol.Http11, counted: false);
            bound.Http = listen;
        });
    }

    private static void Listen(KestrelServerOptions kestrel, string address, int port, Action<ListenOptions> configure)
    {
        if (address == "*")
        {
            kestrel.ListenAnyIP(port, configure);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(address), port, configure);
        }
    }
}
