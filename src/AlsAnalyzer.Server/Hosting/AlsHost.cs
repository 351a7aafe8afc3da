using System.Net;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Ingest;
using AlsAnalyzer.Core.Metrics;
using AlsAnalyzer.Server.Api;
using AlsAnalyzer.Server.Ingest;
using AlsAnalyzer.Server.Kubernetes;
using AlsAnalyzer.Server.Metrics;
using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AlsAnalyzer.Server.Hosting;

/// <summary>Builds the service: Program runs it, functional tests run the same host on loopback.</summary>
internal static class AlsHost
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        AddSkyWalkingAliases(builder.Configuration, Environment.GetEnvironmentVariable);
        builder.Services.AddOptions<AlsOptions>()
            .Bind(builder.Configuration.GetSection(AlsOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AlsOptions>, AlsOptionsValidator>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<BoundEndpoints>();
        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<AlsOptions>>().Value;
            return new AnalysisSettings
            {
                RetentionMinutes = o.RetentionMinutes,
                MaxFutureSkew = TimeSpan.FromSeconds(o.MaxFutureSkewSeconds),
                HttpAnalyzers = AlsOptionsValidator.BuildChain(o.HttpAnalyzers, sp.GetRequiredService<KubernetesCache>()),
                TcpAnalyzers = AlsOptionsValidator.BuildChain(o.TcpAnalyzers, sp.GetRequiredService<KubernetesCache>()),
            };
        });
        builder.Services.AddSingleton(sp => new EntryAnalyzer(sp.GetRequiredService<AnalysisSettings>()));
        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<AlsOptions>>().Value;
            return new Aggregator(new AggregationLimits
            {
                MaxEdgesPerMinute = o.MaxEdgesPerMinute,
                MaxEndpointsPerService = o.MaxEndpointsPerService,
                MaxInstancesPerMinute = o.MaxInstancesPerMinute,
            });
        });
        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<AlsOptions>>().Value;
            return new ProxyRegistry(new MetricsSettings
            {
                MaxProxies = o.MaxProxies,
                MaxStatsPerProxy = o.MaxStatsPerProxy,
                ProxyExpiry = TimeSpan.FromMinutes(o.ProxyExpiryMinutes),
                CountersAsDeltas = o.MetricsCountersAsDeltas,
                RetentionMinutes = o.RetentionMinutes,
            });
        });
        builder.Services.AddSingleton<IngestMetrics>();
        builder.Services.AddSingleton<IAccessLogPipeline>(sp =>
        {
            var analyzer = sp.GetRequiredService<EntryAnalyzer>();
            var aggregator = sp.GetRequiredService<Aggregator>();
            var time = sp.GetRequiredService<TimeProvider>();
            var o = sp.GetRequiredService<IOptions<AlsOptions>>().Value;
            return o.IngestMode switch
            {
                "discard" => new DiscardPipeline(),
                "reference" => new ReferencePipeline(analyzer, aggregator, time),
                _ => new FastPipeline(analyzer, aggregator, time, new FastPipelineLimits
                {
                    MaxInternedStrings = o.MaxInternedStrings,
                    MaxInternedEndpoints = o.MaxInternedEndpoints,
                    MaxCachedPeers = o.MaxCachedPeers,
                }),
            };
        });
        builder.Services.AddSingleton<KubeMetrics>();
        builder.Services.AddSingleton<KubernetesCache>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<KubernetesCache>());
        builder.Services.AddSingleton<MetricsIngestService>();
        builder.Services.AddSingleton<AccessLogIngestService>();
        builder.Services.AddHostedService<Collector>();
        builder.Services.AddGrpc(o =>
        {
            // Set from options below, once they are bound.
            o.EnableDetailedErrors = false;
        });
        builder.Services.AddSingleton<IConfigureOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>>(sp =>
            new ConfigureOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>(g =>
                g.MaxReceiveMessageSize = sp.GetRequiredService<IOptions<AlsOptions>>().Value.MaxReceiveMessageBytes));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<AccessLogIngestService>, AccessLogMethodProvider>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<MetricsIngestService>, MetricsMethodProvider>());
        builder.Services.AddGrpcHealthChecks();

        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var o = kestrel.ApplicationServices.GetRequiredService<IOptions<AlsOptions>>().Value;
            var bound = kestrel.ApplicationServices.GetRequiredService<BoundEndpoints>();
            var preface = new Http2PrefaceCheck(
                kestrel.ApplicationServices.GetRequiredService<IngestMetrics>(),
                kestrel.ApplicationServices.GetRequiredService<ILogger<Http2PrefaceCheck>>(),
                TimeSpan.FromSeconds(o.PrefaceTimeoutSeconds));
            kestrel.Limits.Http2.MaxStreamsPerConnection = o.MaxStreamsPerConnection;
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(60);
            kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
            kestrel.AddServerHeader = false;
            Listen(kestrel, o.ListenAddress, o.GrpcPort, listen =>
            {
                // Cleartext gRPC needs an HTTP/2-only endpoint: Http1AndHttp2 without TLS speaks HTTP/1.1.
                listen.Protocols = HttpProtocols.Http2;
                listen.Use(next => connection => preface.InvokeAsync(connection, next));
                bound.Grpc = listen;
            });
            Listen(kestrel, o.ListenAddress, o.HttpPort, listen =>
            {
                // Cleartext HTTP/2 needs prior knowledge, which browsers and curl do not use by default: HTTP/1.1 only.
                listen.Protocols = HttpProtocols.Http1;
                bound.Http = listen;
            });
        });

        customize?.Invoke(builder);

        var app = builder.Build();
        app.MapGrpcService<AccessLogIngestService>();
        app.MapGrpcService<MetricsIngestService>();
        app.MapGrpcHealthChecksService();
        app.MapAlsApi();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var bound = app.Services.GetRequiredService<BoundEndpoints>();
            Log.Listening(app.Logger, bound.GrpcEndPoint.ToString(), bound.HttpEndPoint.ToString());
        });
        return app;
    }

    /// <summary>
    /// SkyWalking's environment variables name the same analyzer chains; they apply when our
    /// own settings (<c>Als__HttpAnalyzers</c>, <c>Als__TcpAnalyzers</c>) are not given.
    /// </summary>
    internal static void AddSkyWalkingAliases(ConfigurationManager configuration, Func<string, string?> environment)
    {
        var aliases = new Dictionary<string, string?>();
        foreach (var (alias, key) in new[] { ("SW_ENVOY_METRIC_ALS_HTTP_ANALYSIS", "Als:HttpAnalyzers"), ("SW_ENVOY_METRIC_ALS_TCP_ANALYSIS", "Als:TcpAnalyzers") })
        {
            var value = environment(alias);
            if (!string.IsNullOrWhiteSpace(value) && string.IsNullOrWhiteSpace(configuration[key]))
            {
                aliases[key] = value;
            }
        }

        if (aliases.Count > 0)
        {
            configuration.AddInMemoryCollection(aliases);
        }
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
